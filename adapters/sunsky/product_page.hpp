#pragma once
// The products stream's hot path: one product!search.do answer read straight into Products with
// simdjson's on-demand parser. Each record keeps its own bytes as raw_json (hashed as they are,
// never re-serialised) and the buffers live across pages.
//
// Only the common shape takes the fast path. An error envelope, a body simdjson refuses, or a
// record outside that shape (a field of another JSON type, a value that does not map, a duplicate
// key, a control byte) is read by the general path instead (parse_envelope, parse_search_page,
// map_product), so errors are typed and records mapped exactly as there.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "csync/domain/records.hpp"
#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"
#include "sunsky/watermark.hpp"

namespace csync::sunsky {

struct ProductPage {
    std::vector<Product> products;
    std::vector<DeadLetter> dead_letters;
    PageSeen seen;            // rows, pageCount and the newest valid gmtModified
    std::int64_t total = -1;  // the page object's `total`; -1 when absent
    bool fast = false;        // read on the fast path (benchmarks and tests look)
};

class ProductPageReader {
  public:
    ProductPageReader();
    ~ProductPageReader();
    ProductPageReader(const ProductPageReader&) = delete;
    ProductPageReader& operator=(const ProductPageReader&) = delete;

    // Reads one answer into `out` (cleared first). Errors are those of parse_envelope and
    // parse_search_page: transient, rate_limited, auth, config or bad_response.
    // `keep_unknown_status` is the products option map_product takes.
    Status read(const HttpResponse& response, const TimeZone& zone,
                std::chrono::system_clock::time_point now, ProductPage& out,
                bool keep_unknown_status = false);

    // Hands back a page's products once they are committed: the next read assigns into them,
    // so their strings' buffers serve the next page instead of being freed and allocated again.
    void recycle(std::vector<Product>&& products);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace csync::sunsky
