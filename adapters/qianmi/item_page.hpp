#pragma once
// The items stream's hot answers, read with simdjson's on-demand parser instead of a JSON
// document: items.all.list pages (every item, every pass) and items.list.get batches (straight
// into product rows, each keeping its own bytes as raw_json, hashed as they are).
//
// Only the common shape takes the fast path: {"<api>_response":{...,"items":{"item":[{...}]}}}
// (the success object under any name, as read_envelope takes it) with objects as rows. Anything
// else (an error envelope, another list shape, a body simdjson refuses, a row without num_iid) is
// read by the general path (read_envelope, read_listing, read_batch, map_item), so errors are typed
// and rows mapped exactly as there. A batch row outside the fast path's shape (a duplicate field, a
// field of another type) is mapped by map_item on its own, its bytes kept all the same.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"
#include "qianmi/wire.hpp"

namespace csync::qianmi {

// One items.list.get row the items stream asked for: its num_iid and its mapping with the
// listing's `modified` for that id.
struct BatchRow {
    std::string num_iid;
    std::variant<MappedProduct, DeadLetter> mapped;
};

// The listing's `modified` per num_iid asked for in a batch.
using ModifiedById = std::map<std::string, std::optional<UtcTime>>;

class ItemPageReader {
  public:
    ItemPageReader();
    ~ItemPageReader();
    ItemPageReader(const ItemPageReader&) = delete;
    ItemPageReader& operator=(const ItemPageReader&) = delete;

    // One items.all.list answer: what read_envelope(response, kItemsAllList) and read_listing
    // give, errors included.
    Result<ListingPage> read_listing(const HttpResponse& response);

    // One items.list.get answer into `out` (cleared first): the rows whose num_iid is a key of
    // `modified`, in the answer's order, each mapped as map_item(row, modified[num_iid]); rows
    // not asked for are left out. Errors are those of read_envelope and read_batch.
    Status read_batch(const HttpResponse& response, const ModifiedById& modified,
                      std::vector<BatchRow>& out);

    // Whether the last answer was read on the fast path (benchmarks and tests look).
    bool fast() const noexcept { return fast_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    bool fast_ = false;
};

}  // namespace csync::qianmi
