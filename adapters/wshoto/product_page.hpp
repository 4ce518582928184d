#pragma once
// The products stream's hot answer, page_query_product_library_info_list, read with simdjson's
// on-demand parser straight into product rows: each record keeps its own bytes as raw_json
// (hashed as they are, never re-serialised) and the buffers live across pages.
//
// Only the common shape takes the fast path: {"code":0,"sub_code":"00000",...,"data":{"records":
// [{...}],...}} with objects as records. Anything else (a refusal, another shape, a body simdjson
// refuses, a cursor too long) is read by the general path (read_envelope, read_product_list,
// map_product), so errors are typed and records mapped exactly as there. A record outside the
// fast path's shape (a duplicate field, say) is mapped by map_product on its own, its bytes kept
// all the same.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "csync/domain/records.hpp"
#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"
#include "wshoto/wire.hpp"

namespace csync::wshoto {

struct ProductPage {
    std::vector<Product> products;
    std::vector<DeadLetter> dead_letters;
    std::size_t records = 0;  // records in the answer (0: the type's listing ended)
    std::int64_t total = 0;
    std::string next_cursor;  // as ProductListPage::next_cursor
};

class ProductPageReader {
  public:
    ProductPageReader();
    ~ProductPageReader();
    ProductPageReader(const ProductPageReader&) = delete;
    ProductPageReader& operator=(const ProductPageReader&) = delete;

    // One answer into `out` (cleared first): what read_envelope(response, codes,
    // kProductListPath), read_product_list and map_product give, errors included.
    Status read(const HttpResponse& response, const ErrorCodes& codes, ProductPage& out);

    // Whether the last answer was read on the fast path (benchmarks and tests look).
    bool fast() const noexcept { return fast_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    bool fast_ = false;
};

}  // namespace csync::wshoto
