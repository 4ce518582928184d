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

}  // namespace

std::optional<LocalTime> modified_time(const json& record) {
    auto text = json_text(record, "gmtModified");
    if (!text) return std::nullopt;
    return parse_time(*text);
}

std::variant<Product, DeadLetter> map_product(const json& record, const TimeZone& zone) {
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
            return dead(record, key, "unknown product status " + std::to_string(*status));
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
