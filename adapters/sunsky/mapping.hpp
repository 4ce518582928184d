#pragma once
// Pure mapping of Sunsky records to the normalized model. A record that cannot be mapped comes
// back as a DeadLetter (parked by the store), never as an error: one bad row never fails a page.

#include <optional>
#include <variant>

#include <nlohmann/json.hpp>

#include "csync/domain/records.hpp"
#include "csync/domain/time.hpp"

namespace csync::sunsky {

// Sunsky quotes prices in US dollars (shared/platforms/sunsky.md §5.1).
inline constexpr const char* kCurrency = "USD";

// One product!search.do / product!detail.do row -> one Product (one sellable SKU, itemNo).
// Status per the seed, appendix B: 0 invalid -> inactive, 1 valid -> active, 2 deleted,
// 3 out of stock. gmtModified is a naive time in `zone`, stored as UTC. A status code the
// appendix does not list is a dead letter, unless `keep_unknown_status` (the products stream
// option of that name): then the product is stored inactive with the code in platform_status.
std::variant<Product, DeadLetter> map_product(const nlohmann::json& record, const TimeZone& zone,
                                              bool keep_unknown_status = false);

// One category!getChildren.do row. Status per appendix A: 0 inactive, 1 active, 2 deleted.
std::variant<Category, DeadLetter> map_category(const nlohmann::json& record, const TimeZone& zone);

// One order!getOrderDetails.do answer (or a getOrderList.do row, without lines) -> one Order.
// Status per appendix C: 1 unpaid -> pending, 2 paid, 3 shipped, 4 cancelled, 5 completed (any
// other code: unknown, so the order is kept and re-read); the code itself is kept in
// platform_status. Amounts stay exact text; gmtCreated/gmtPaid/gmtShipped ("MM/dd/yyyy HH:mm") are
// naive times in `zone`, stored as UTC. The seed lists shippingWay among the delivery address's
// fields; it is read there or, failing that, at the top level.
std::variant<Order, DeadLetter> map_order(const nlohmann::json& record, const TimeZone& zone);

// Orders in status 1, 2 or 3 (and unknown codes) may still change; 4 and 5 are final.
bool order_is_final(const Order& order);

// The record's gmtModified as the platform's naive local time (nullopt if absent or malformed).
std::optional<LocalTime> modified_time(const nlohmann::json& record);

}  // namespace csync::sunsky
