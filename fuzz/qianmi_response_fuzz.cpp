// libFuzzer target: any bytes as a Qianmi answer body (HTTP 200) through the envelope reader of
// each item API, the listing, batch and item readers, the item and SKU mappings, and the token
// endpoint's reader; and through the items stream's page reader, which must give what the
// general path gives. Typed errors are fine; a crash, a leak, a sanitizer report or a difference
// between the two readers is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "page_reader_check.hpp"
#include "qianmi/item_page.hpp"
#include "qianmi/wire.hpp"

namespace {

using namespace csync;
using namespace csync::fuzzing;

void map_rows(const std::vector<nlohmann::json>& rows) {
    for (const auto& row : rows) {
        (void)qianmi::map_item(row, std::nullopt);
        (void)qianmi::map_item_skus(row, std::nullopt);
    }
}

void check_same_row(const std::variant<qianmi::MappedProduct, DeadLetter>& f,
                    const std::variant<qianmi::MappedProduct, DeadLetter>& g) {
    check(f.index() == g.index(), "row kind");
    if (const auto* letter = std::get_if<DeadLetter>(&f)) {
        check_same_letter(*letter, std::get<DeadLetter>(g));
        return;
    }
    const auto& fm = std::get<qianmi::MappedProduct>(f);
    const auto& gm = std::get<qianmi::MappedProduct>(g);
    check(fm.platform_status == gm.platform_status, "platform_status");
    check_same_product(fm.product, gm.product);
}

void check_readers(const HttpResponse& response) {
    static qianmi::ItemPageReader reader;
    auto fast_listing = reader.read_listing(response);
    auto listed = qianmi::read_envelope(response, qianmi::kItemsAllList);
    Result<qianmi::ListingPage> general_listing =
        listed.ok() ? qianmi::read_listing(*listed) : Result<qianmi::ListingPage>(listed.error());
    check_same_status(fast_listing.ok() ? Status{} : Status{fast_listing.error()},
                      general_listing.ok() ? Status{} : Status{general_listing.error()});
    if (fast_listing.ok()) {
        check(fast_listing->total_results == general_listing->total_results, "total_results");
        check(fast_listing->entries.size() == general_listing->entries.size(), "entries");
        check(fast_listing->dead_letters.size() == general_listing->dead_letters.size(),
              "listing letters");
        for (std::size_t i = 0; i < fast_listing->entries.size(); ++i) {
            const auto& f = fast_listing->entries[i];
            const auto& g = general_listing->entries[i];
            check(f.num_iid == g.num_iid && f.modified == g.modified &&
                      f.modified_text == g.modified_text && f.cid == g.cid &&
                      f.brand_id == g.brand_id,
                  "listing entry");
        }
    }

    // Every row asked for: ids as the general path reads them, and "P1" besides.
    auto batch = qianmi::read_envelope(response, qianmi::kItemsListGet);
    Result<std::vector<nlohmann::json>> rows =
        batch.ok() ? qianmi::read_batch(*batch)
                   : Result<std::vector<nlohmann::json>>(batch.error());
    qianmi::ModifiedById modified = {{"P1", std::nullopt}};
    if (rows.ok()) {
        for (const auto& row : *rows) {
            modified.emplace(json_text(row, "num_iid").value_or(""),
                             UtcTime{std::chrono::seconds{1'700'000'000}});
        }
    }
    std::vector<qianmi::BatchRow> fast_rows;
    Status fast_status = reader.read_batch(response, modified, fast_rows);
    check_same_status(fast_status, rows.ok() ? Status{} : Status{rows.error()});
    if (!fast_status.ok()) return;
    std::size_t i = 0;
    for (const auto& row : *rows) {
        auto m = modified.find(json_text(row, "num_iid").value_or(""));
        if (m == modified.end()) continue;
        check(i < fast_rows.size() && fast_rows[i].num_iid == m->first, "batch row id");
        check_same_row(fast_rows[i].mapped, qianmi::map_item(row, m->second));
        ++i;
    }
    check(i == fast_rows.size(), "batch rows");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    HttpResponse response;
    response.status = 200;
    response.body.assign(reinterpret_cast<const char*>(data), size);
    (void)qianmi::read_refresh_response(response, "previous-refresh-token", UtcTime{});
    if (auto listed = qianmi::read_envelope(response, qianmi::kItemsAllList); listed.ok()) {
        (void)qianmi::read_listing(*listed);
    }
    if (auto batch = qianmi::read_envelope(response, qianmi::kItemsListGet); batch.ok()) {
        if (auto rows = qianmi::read_batch(*batch); rows.ok()) map_rows(*rows);
    }
    if (auto one = qianmi::read_envelope(response, qianmi::kItemGet); one.ok()) {
        if (auto item = qianmi::read_item(*one); item.ok() && *item) map_rows({**item});
    }
    check_readers(response);
    return 0;
}
