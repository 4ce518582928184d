#pragma once
// The Wshoto streams.
//
// product_types  query_product_type_list -> one category row per type ("type:<id>"), one page.
// categories     the whole category tree of each type (query_product_category_info with
//                parent_id = the type id), one page per type; roots hang under their type's row.
// products       the product list has no change time, so one cycle is one full pass:
//   types    the type list is read when a pass starts and kept in the cursor;
//   list     per type, page_query_product_library_info_list with product_status -1 from cursor
//            "0", following max_cursor, checkpointed after every page (a restart resumes there).
//            The type's listing is complete when a page comes back empty. A page whose cursor
//            does not advance (or is missing) ends the type's listing as INCOMPLETE (loop guard),
//            as does a listing longer than twice its first page's total: nothing of that type is
//            deleted in this pass.
//   confirm  only after a complete listing: the type's rows (scope "type:<id>") not seen since
//            the pass started are asked for one by one (query_product_library_info, at most
//            kConfirmPerPage per page); a product the platform no longer has is marked deleted
//            (a changes row), one it still has is refreshed. A product that merely moved in the
//            listing was seen, so it is never deleted.
//   The cycle ends when every type has been listed (and confirmed).
//
// products cursor: {"pass":N,"pass_start":"<UTC ISO>","phase":"list"|"confirm"|"done",
//   "types":[id...],"type_index":I,"cursor":"<platform cursor>","pages":P}.

#include <cstddef>
#include <memory>

#include "csync/config.hpp"
#include "csync/ports/adapter_store.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "log/log.hpp"
#include "wshoto/adapter.hpp"

namespace csync::wshoto {

// Detail calls confirming unseen products, per page.
inline constexpr std::size_t kConfirmPerPage = 20;
// A type's listing ends after this many pages whatever its cursor says (a cursor that keeps
// changing without end): (total / page size) * 2 + this.
inline constexpr std::int64_t kExtraPages = 10;

// The rows of one product type (products.scope).
std::string type_scope(std::string_view product_type_id);

// `store` may be nullptr (dry runs): a pass then ends without deletions.
StreamSyncPtr make_stream_sync(std::shared_ptr<Client> client, AdapterStore* store, Clock& clock,
                               const StreamConfig& stream, log::Logger logger);

}  // namespace csync::wshoto
