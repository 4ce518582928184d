// libFuzzer target: any bytes as a Sunsky answer body (HTTP 200) through the envelope reader,
// the search-page reader and the product mapping, and through the products hot path
// (ProductPageReader, simdjson). Typed errors are fine; a crash, a leak or a sanitizer report
// is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "csync/domain/time.hpp"
#include "sunsky/mapping.hpp"
#include "sunsky/product_page.hpp"
#include "sunsky/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const csync::TimeZone zone = csync::TimeZone::from_name("Asia/Shanghai").value();
    csync::HttpResponse response;
    response.status = 200;
    response.body.assign(reinterpret_cast<const char*>(data), size);
    static csync::sunsky::ProductPageReader reader;  // reused, as the stream reuses it
    csync::sunsky::ProductPage fast_page;
    (void)reader.read(response, zone, std::chrono::system_clock::time_point{}, fast_page);
    auto envelope =
        csync::sunsky::parse_envelope(response, std::chrono::system_clock::time_point{});
    if (!envelope.ok()) return 0;
    auto page = csync::sunsky::parse_search_page(*envelope);
    if (!page.ok()) return 0;
    for (const auto& row : page->rows) {
        (void)csync::sunsky::map_product(row, zone);
        (void)csync::sunsky::map_category(row, zone);
        (void)csync::sunsky::modified_time(row);
    }
    return 0;
}
