// libFuzzer target: any bytes as a Wangdiantong answer body (HTTP 200) through the envelope
// reader, the wait-list reader, the calc-record mapping and the acknowledgement's info; the
// simdjson document (parse_exact_fast) must be parse_json_exact's and WaitListReader must give
// what parse_wait_list gives. Typed errors are fine; a crash, a leak, a sanitizer report or a
// difference between the readers is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "csync/domain/time.hpp"
#include "page_reader_check.hpp"
#include "wangdiantong/stock_stream.hpp"
#include "wangdiantong/wait_list_page.hpp"
#include "wangdiantong/wire.hpp"

namespace {

using namespace csync;
using namespace csync::fuzzing;

// Types all the way down: == and dump() do not tell an unsigned 5 from a signed one.
bool same_types(const nlohmann::json& a, const nlohmann::json& b) {
    if (a.type() != b.type() || a.size() != b.size()) return false;
    if (a.is_object()) {
        for (auto it = a.begin(), jt = b.begin(); it != a.end(); ++it, ++jt) {
            if (it.key() != jt.key() || !same_types(*it, *jt)) return false;
        }
    } else if (a.is_array()) {
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!same_types(a[i], b[i])) return false;
        }
    }
    return true;
}

void check_readers(const HttpResponse& response) {
    if (auto fast = wangdiantong::parse_exact_fast(response.body)) {
        auto general = parse_json_exact(response.body);
        check(general.ok() && *fast == *general && fast->dump() == general->dump() &&
                  same_types(*fast, *general),
              "document");
    }
    static wangdiantong::WaitListReader reader;
    auto list = reader.read(response, 1'700'000'000);
    auto data = wangdiantong::read_envelope(response, 1'700'000'000);
    Result<wangdiantong::WaitList> general = data.ok()
                                                 ? wangdiantong::parse_wait_list(*data)
                                                 : Result<wangdiantong::WaitList>(data.error());
    check_same_status(list.ok() ? Status{} : Status{list.error()},
                      general.ok() ? Status{} : Status{general.error()});
    if (list.ok()) {
        check(list->ids == general->ids && list->position == general->position &&
                  list->listed == general->listed,
              "wait list");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const csync::TimeZone zone = csync::TimeZone::from_name("Asia/Shanghai").value();
    csync::HttpResponse response;
    response.status = 200;
    response.body.assign(reinterpret_cast<const char*>(data), size);
    check_readers(response);
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
