// libFuzzer target: any bytes as a Qianmi answer body (HTTP 200) through the envelope reader of
// each item API, the listing, batch and item readers, the item and SKU mappings, and the token
// endpoint's reader. Typed errors are fine; a crash, a leak or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "qianmi/wire.hpp"

namespace {

void map_rows(const std::vector<nlohmann::json>& rows) {
    for (const auto& row : rows) {
        (void)csync::qianmi::map_item(row, std::nullopt);
        (void)csync::qianmi::map_item_skus(row, std::nullopt);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    csync::HttpResponse response;
    response.status = 200;
    response.body.assign(reinterpret_cast<const char*>(data), size);
    (void)csync::qianmi::read_refresh_response(response, "previous-refresh-token",
                                               csync::UtcTime{});
    if (auto listed = csync::qianmi::read_envelope(response, csync::qianmi::kItemsAllList);
        listed.ok()) {
        (void)csync::qianmi::read_listing(*listed);
    }
    if (auto batch = csync::qianmi::read_envelope(response, csync::qianmi::kItemsListGet);
        batch.ok()) {
        if (auto rows = csync::qianmi::read_batch(*batch); rows.ok()) map_rows(*rows);
    }
    if (auto one = csync::qianmi::read_envelope(response, csync::qianmi::kItemGet); one.ok()) {
        if (auto item = csync::qianmi::read_item(*one); item.ok() && *item) map_rows({**item});
    }
    return 0;
}
