#include "sunsky/mapping.hpp"

#include <string>

#include "core/json_util.hpp"
#include "sunsky/protocol.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

DeadLetter dead(const json& record, std::string key, std::string error) {
    return DeadLetter{std::move(key), record.dump(), std::move(error)};
}

// An optional time field: absent, null or "" -> nullopt; malformed -> an error text.
std::optional<std::string> read_time(const json& record, const char* field, const TimeZone& zone,
                                     std::optional<UtcTime>& out) {
    auto text = json_text(record, field);
    if (!text || text->empty()) return std::nullopt;
    auto t = parse_time(*text);
    if (!t) return std::string(field) + " '" + *text + "' is not MM/dd/yyyy HH:mm";
    out = zone.to_utc(*t);
    return std::nullopt;
}

// An optional exact amount: absent or "" -> nullopt; not a decimal -> an error text.
std::optional<std::string> read_amount(const json& record, const char* field,
                                       std::optional<Decimal>& out) {
    auto text = json_text(record, field);
    if (!text || text->empty()) return std::nullopt;
    out = json_decimal(record, field);
    if (!out) return std::string(field) + " '" + *text + "' is not a decimal";
    return std::nullopt;
}

std::string shipping_way_name(const json& record) {
    const auto name_in = [](const json& object) -> std::optional<std::string> {
        if (!object.is_object()) return std::nullopt;
        auto it = object.find("shippingWay");
        if (it == object.end() || !it->is_object()) return std::nullopt;
        return json_text(*it, "name");
    };
    if (auto address = record.find("deliveryAddress"); address != record.end()) {
        if (auto name = name_in(*address)) return *name;
    }
    return name_in(record).value_or("");
}

}  // namespace

std::variant<Order, DeadLetter> map_order(const json& record, const TimeZone& zone) {
    if (!record.is_object()) return dead(record, "", "order record is not a JSON object");
    auto number = json_text(record, "number");
    if (!number || number->empty()) return dead(record, "", "order record without number");
    const std::string key = "number=" + *number;

    Order o;
    o.external_id = *number;
    o.currency = kCurrency;
    auto status = json_int(record, "status");
    if (!status) return dead(record, key, "order status missing or not an integer");
    o.platform_status = std::to_string(*status);
    switch (*status) {
        case 1:
            o.status = OrderStatus::pending;
            break;
        case 2:
            o.status = OrderStatus::paid;
            break;
        case 3:
            o.status = OrderStatus::shipped;
            break;
        case 4:
            o.status = OrderStatus::cancelled;
            break;
        case 5:
            o.status = OrderStatus::completed;
            break;
        default:
            o.status = OrderStatus::unknown;
    }
    for (auto [field, out] :
         {std::pair{"amount", &o.subtotal_amount}, std::pair{"shippingCost", &o.shipping_cost},
          std::pair{"totalAmount", &o.total_amount}}) {
        if (auto error = read_amount(record, field, *out)) return dead(record, key, *error);
    }
    auto created = json_text(record, "gmtCreated");
    if (!created || created->empty()) return dead(record, key, "order without gmtCreated");
    for (auto [field, out] :
         {std::pair{"gmtCreated", &o.created_at}, std::pair{"gmtPaid", &o.paid_at},
          std::pair{"gmtShipped", &o.shipped_at}}) {
        if (auto error = read_time(record, field, zone, *out)) return dead(record, key, *error);
    }
    o.pack_status = json_text(record, "packStatus").value_or("");
    o.tracking_number = json_text(record, "trackingNumber").value_or("");
    o.site_number = json_text(record, "siteNumber").value_or("");
    o.shipping_way = shipping_way_name(record);
    if (auto address = record.find("deliveryAddress");
        address != record.end() && address->is_object()) {
        o.delivery_address_json = address->dump();
    }
    if (auto lines = record.find("detailList"); lines != record.end()) {
        if (!lines->is_array()) return dead(record, key, "detailList is not an array");
        for (const json& row : *lines) {
            if (!row.is_object()) return dead(record, key, "a detailList entry is not an object");
            OrderLine line;
            line.sku = json_text(row, "itemNo").value_or("");
            line.title = json_text(row, "name").value_or("");
            auto qty = json_decimal(row, "qty");
            if (!qty) return dead(record, key, "a detailList entry without a decimal qty");
            line.quantity = *qty;
            if (auto error = read_amount(row, "price", line.unit_price)) {
                return dead(record, key, "detailList: " + *error);
            }
            if (auto error = read_amount(row, "amount", line.amount)) {
                return dead(record, key, "detailList: " + *error);
            }
            o.lines.push_back(std::move(line));
        }
    }
    o.raw_json = record.dump();
    return o;
}

bool order_is_final(const Order& order) {
    return order.status == OrderStatus::cancelled || order.status == OrderStatus::completed;
}

std::optional<LocalTime> modified_time(const json& record) {
    auto text = json_text(record, "gmtModified");
    if (!text) return std::nullopt;
    return parse_time(*text);
}

std::variant<Product, DeadLetter> map_product(const json& record, const TimeZone& zone,
                                              bool keep_unknown_status) {
    if (!record.is_object()) return dead(record, "", "product record is not a JSON object");
    auto item_no = json_text(record, "itemNo");
    if (!item_no || item_no->empty()) return dead(record, "", "product record without itemNo");
    const std::string key = "itemNo=" + *item_no;

    Product p;
    p.external_id = *item_no;
    p.sku = *item_no;
    p.parent_external_id = json_text(record, "groupItemNo").value_or("");
    p.barcode = json_text(record, "barcode").value_or("");
    p.title = json_text(record, "name").value_or("");
    p.brand = json_text(record, "brandName").value_or("");
    p.category_external_id = json_text(record, "categoryId").value_or("");
    p.currency = kCurrency;

    if (auto raw = json_text(record, "price")) {
        p.price = json_decimal(record, "price");
        if (!p.price) return dead(record, key, "price '" + *raw + "' is not a decimal");
    }
    if (auto raw = json_text(record, "stock")) {
        p.stock = json_int(record, "stock");
        if (!p.stock) return dead(record, key, "stock '" + *raw + "' is not an integer");
    }
    auto status = json_int(record, "status");
    if (!status) return dead(record, key, "product status missing or not an integer");
    switch (*status) {
        case 0:
            p.status = ProductStatus::inactive;
            break;
        case 1:
            p.status = ProductStatus::active;
            break;
        case 2:
            p.status = ProductStatus::deleted;
            break;
        case 3:
            p.status = ProductStatus::out_of_stock;
            break;
        default:
            if (!keep_unknown_status) {
                return dead(record, key,
                            "unknown product status " + std::to_string(*status) +
                                " (the products option keep_unknown_status stores it inactive)");
            }
            p.status = ProductStatus::inactive;
            p.platform_status = std::to_string(*status);
    }
    auto modified_text = json_text(record, "gmtModified");
    if (!modified_text) return dead(record, key, "product without gmtModified");
    auto modified = parse_time(*modified_text);
    if (!modified) {
        return dead(record, key, "gmtModified '" + *modified_text + "' is not MM/dd/yyyy HH:mm:ss");
    }
    p.source_modified_at = zone.to_utc(*modified);
    p.raw_json = record.dump();
    return p;
}

std::variant<Category, DeadLetter> map_category(const json& record, const TimeZone& zone) {
    if (!record.is_object()) return dead(record, "", "category record is not a JSON object");
    auto id = json_text(record, "id");
    if (!id || id->empty()) return dead(record, "", "category record without id");
    const std::string key = "id=" + *id;

    Category c;
    c.external_id = *id;
    const std::string parent = json_text(record, "parentId").value_or("");
    c.parent_external_id = parent == "0" ? "" : parent;
    c.code = json_text(record, "code").value_or("");
    c.name = json_text(record, "name").value_or("");
    auto status = json_int(record, "status");
    if (!status) return dead(record, key, "category status missing or not an integer");
    switch (*status) {
        case 0:
            c.status = "inactive";
            break;
        case 1:
            c.status = "active";
            break;
        case 2:
            c.status = "deleted";
            break;
        default:
            return dead(record, key, "unknown category status " + std::to_string(*status));
    }
    // The seed documents gmtModified; older answers carry only gmtCreated ("MM/dd/yyyy HH:mm").
    if (auto text = json_text(record, "gmtModified")) {
        auto t = parse_time(*text);
        if (!t) return dead(record, key, "gmtModified '" + *text + "' is not a Sunsky time");
        c.source_modified_at = zone.to_utc(*t);
    }
    c.raw_json = record.dump();
    return c;
}

}  // namespace csync::sunsky
