// Wangdiantong answers: the envelope, then every stock record found in its data.
#include <cstddef>
#include <cstdint>

#include "wangdiantong/stock_stream.hpp"
#include "wangdiantong/wire.hpp"

namespace {

void map_records(const nlohmann::json& value, const csync::TimeZone& zone, int depth) {
    if (depth > 3) return;
    if (value.is_array()) {
        for (const auto& element : value) {
            if (element.is_object()) (void)csync::wangdiantong::map_stock_record(element, zone);
        }
    } else if (value.is_object()) {
        for (const auto& [key, child] : value.items()) map_records(child, zone, depth + 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace csync;
    static const TimeZone zone = TimeZone::from_name("Asia/Shanghai").value();
    HttpResponse response;
    response.status = 200;
    response.headers.emplace_back("Date", "Mon, 01 Jan 2024 00:00:00 GMT");
    response.body.assign(reinterpret_cast<const char*>(data), size);
    auto envelope = wangdiantong::read_envelope(response, 1'704'067'200);
    if (envelope.ok()) map_records(*envelope, zone, 0);
    return 0;
}
