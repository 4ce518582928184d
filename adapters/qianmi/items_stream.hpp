#pragma once
// The `items` stream. Qianmi cannot say what changed, so one cycle is one discovery pass:
//   list   items.all.list pages (0-based page_no, fields num_iid,modified) checkpointed one by
//          one: ids that are new, deleted before, or whose `modified` differs from the stored
//          source_modified_at are fetched with items.list.get (<= 50 per call; the listing's
//          `modified` dates the row); unchanged ids only get last_seen_at. A pass that saw fewer
//          distinct ids than total_results was skipped over (the list moved under it): one more
//          round pages it again, inside the same pass.
//   confirm  only after a complete pass: the pass's rows (scope "items") not seen since it
//          started are asked for by id; absent ones are marked deleted (a changes row), present
//          ones are refreshed. An item that merely moved in the listing is never deleted.
// With `num_iids` the list is fixed: no discovery, the ids are fetched in batches and an id the
// platform no longer returns is deleted. With `skus: true` each changed item is also read with
// item.get and every SKU becomes its own row (scope "skus:<num_iid>", parent = num_iid); SKUs the
// item no longer lists, and all of them when the item is gone, are marked deleted.
//
// Cursor: {"pass":N,"pass_start":"<UTC ISO>","phase":"list"|"confirm"|"fixed"|"done",
//          "round":1|2,"page_no":P,"max_pages":M,"seen":S,"total":T,"offset":K}.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "csync/config.hpp"
#include "csync/ports/adapter_store.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "log/log.hpp"
#include "qianmi/adapter.hpp"

namespace csync::qianmi {

// The scopes of the rows this stream writes (products.scope).
inline constexpr const char* kItemsScope = "items";
// Each item's SKU rows are a scope of their own, so that the SKUs an item no longer has (or all
// of them, when the item is gone) are found by the item.
inline std::string sku_scope(const std::string& num_iid) { return "skus:" + num_iid; }
// SKUs of one item at most, when looking for the ones it no longer has.
inline constexpr std::size_t kMaxSkuRows = 10'000;
// Rounds of one pass at most (the first, and one more when it saw fewer ids than listed).
inline constexpr int kMaxRounds = 2;

struct ItemsOptions {
    int page_size = kMaxPageSize;
    std::string order_by = "cid";
    bool skus = false;
    std::vector<std::string> num_iids;  // non-empty: a fixed list, no discovery
};

ItemsOptions items_options(const StreamConfig& stream);

// `store` may be nullptr (dry runs): every listed id then counts as new, and a pass ends
// without deletions.
StreamSyncPtr make_items_stream(std::shared_ptr<Client> client, AdapterStore* store, Clock& clock,
                                ItemsOptions options, log::Logger logger);

}  // namespace csync::qianmi
