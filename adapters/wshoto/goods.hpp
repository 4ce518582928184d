#pragma once
// The Wshoto `goods` stream (off by default): /openapi/valetorder/goods/list, the only list that
// carries stock. It has no change time, so one cycle is one full pass by page number (page from
// 1, size up to 100) into `products` with external_id "goods:<id>" and scope "goods" (the product
// library's rows are never touched by it).
//
// A pass is complete when a page comes back empty or the rows read reach the first page's
// total. Only a complete pass whose `total` stayed the same on every page (nothing was added or
// removed while it paged, so no row can have shifted past a page boundary unseen) deletes: the
// rows of the scope not seen since the pass started are marked deleted, kConfirmPerPage... at a
// time, with a `changes` row each. Any other pass deletes nothing.
//
// Money: `price` in the stream's `unit` (default fen, the notes' reading of the integer sample).
//
// cursor: {"pass":N,"pass_start":"<UTC ISO>","phase":"list"|"delete"|"done","page":P,
//          "rows":R,"total":T,"stable":true|false}

#include <memory>
#include <variant>

#include <nlohmann/json.hpp>

#include "csync/config.hpp"
#include "csync/domain/records.hpp"
#include "csync/platform_spec.hpp"
#include "csync/ports/adapter_store.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "log/log.hpp"
#include "wshoto/orders.hpp"

namespace csync::wshoto {

inline constexpr const char* kGoodsStream = "goods";
inline constexpr std::string_view kGoodsListPath = "/openapi/valetorder/goods/list";
inline constexpr const char* kGoodsScope = "goods";
// Deletions written per page after a complete pass.
inline constexpr std::size_t kGoodsDeletesPerPage = 200;

std::vector<OptionSpec> goods_options();

// One goods record -> a product row: external_id "goods:<id>", title goods_name, price in
// yuan (from `unit`), currency CNY, stock stock_num, status from up_status (1 on sale: active,
// 11 sold out: out_of_stock, 0 delisted: inactive; the raw value kept), scope "goods". Missing
// id -> DeadLetter.
std::variant<Product, DeadLetter> map_goods(const nlohmann::json& record, MoneyUnit unit);

// `store` may be nullptr (dry runs): a pass then deletes nothing.
StreamSyncPtr make_goods_stream(std::shared_ptr<Client> client, AdapterStore* store, Clock& clock,
                                const StreamConfig& stream, log::Logger logger);

}  // namespace csync::wshoto
