// libFuzzer target: any bytes as a Wangdiantong answer body (HTTP 200) through the envelope
// reader, the wait-list reader, the calc-record mapping and the acknowledgement's info. Typed
// errors are fine; a crash, a leak or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "csync/domain/time.hpp"
#include "wangdiantong/stock_stream.hpp"
#include "wangdiantong/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const csync::TimeZone zone = csync::TimeZone::from_name("Asia/Shanghai").value();
    csync::HttpResponse response;
    response.status = 200;
    response.body.assign(reinterpret_cast<const char*>(data), size);
    auto envelope = csync::wangdiantong::read_envelope(response, 1'700'000'000);
    if (!envelope.ok()) return 0;
    (void)csync::wangdiantong::parse_wait_list(*envelope);
    auto records = envelope->is_object() && envelope->contains("success_date")
                       ? (*envelope)["success_date"]
                       : nlohmann::json::array({*envelope});
    if (!records.is_array()) return 0;
    for (const auto& record : records) {
        (void)csync::wangdiantong::map_stock_record(record, zone);
        (void)csync::wangdiantong::ack_info(record, true, "ok");
    }
    return 0;
}
