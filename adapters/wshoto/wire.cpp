#include "wshoto/wire.hpp"

#include <charconv>

#include "core/json_util.hpp"

namespace csync::wshoto {
namespace {

using nlohmann::json;

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t");
    return std::string(s.substr(first, last - first + 1));
}

// HTTP status and JSON object, before the envelope is read.
Result<json> parse_answer(const HttpResponse& response, std::string_view what) {
    const std::string where = "wshoto " + std::string(what);
    if (response.status == 429) return Error::rate_limited(where + ": HTTP 429");
    if (response.status >= 500) {
        return Error::transient(where + ": HTTP " + std::to_string(response.status));
    }
    if (response.status < 200 || response.status >= 300) {
        return Error::bad_response(where + ": HTTP " + std::to_string(response.status));
    }
    auto body = parse_json_exact(response.body);
    if (!body.ok() || !body->is_object()) {
        return Error::bad_response(where + ": the answer is not a JSON object (" +
                                   std::to_string(response.body.size()) + " bytes)");
    }
    return std::move(body.value());
}

std::string describe_refusal(const json& body) {
    std::string out = "code " + json_scalar_text(body.value("code", json())).value_or("?");
    if (auto sub = json_text(body, "sub_code")) out += ", sub_code " + *sub;
    if (auto msg = json_text(body, "msg")) out += ": " + *msg;
    return out;
}

std::string id_text(const json& object, std::string_view key) {
    auto it = object.find(key);
    if (it == object.end()) return {};
    return json_scalar_text(*it).value_or("");
}

}  // namespace

Result<Credentials> credentials_from(const std::map<std::string, std::string>& values) {
    Credentials c;
    for (auto [name, field] : {std::pair{"appid", &c.appid}, {"app_secret", &c.app_secret}}) {
        auto it = values.find(name);
        if (it == values.end() || it->second.empty()) {
            return Error::config(std::string("wshoto: credential `") + name +
                                 "` is missing or empty");
        }
        *field = it->second;
    }
    return c;
}

Result<std::set<std::int64_t>> parse_code_list(std::string_view text, std::string_view option) {
    std::set<std::int64_t> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto comma = text.find(',', pos);
        const std::string item =
            trim(text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos));
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        if (item.empty() || ec != std::errc{} || end != item.data() + item.size()) {
            return Error::config("wshoto option `" + std::string(option) + "`: `" + item +
                                 "` is not a whole number (expected codes like 10001,10010)");
        }
        out.insert(v);
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

Result<json> read_envelope(const HttpResponse& response, const ErrorCodes& codes,
                           std::string_view what) {
    auto body = parse_answer(response, what);
    if (!body.ok()) return body.error();
    const std::string where = "wshoto " + std::string(what);
    auto code = json_int(*body, "code");
    if (!code) return Error::bad_response(where + ": the answer has no numeric `code`");
    if (*code != 0) {
        const std::string why = where + ": " + describe_refusal(*body);
        if (codes.auth.count(*code)) return Error::token_expired(why);
        if (codes.transient.count(*code)) return Error::transient(why);
        return Error::config(why);
    }
    if (auto sub = json_text(*body, "sub_code"); sub && *sub != kSubCodeOk) {
        return Error::config(where + ": " + describe_refusal(*body));
    }
    auto data = body->find("data");
    return data == body->end() ? json() : *data;
}

Result<json> read_detail_envelope(const HttpResponse& response, const ErrorCodes& codes) {
    auto data = read_envelope(response, codes, kProductDetailPath);
    if (data.ok() || data.error().kind != ErrorKind::config) return data;
    auto body = parse_json_exact(response.body);
    if (body.ok() && json_int(*body, "code").value_or(-1) == 0) return json();
    return data;
}

HttpRequest build_token_request(std::string_view base_url, const Credentials& creds) {
    HttpRequest r;
    r.method = "GET";
    r.url = std::string(base_url) + std::string(kTokenPath) + "?appid=" + form_encode(creds.appid) +
            "&app_secret=" + form_encode(creds.app_secret);
    return r;
}

Result<IssuedToken> read_token_response(const HttpResponse& response, const ErrorCodes& codes) {
    auto body = parse_answer(response, "access_token");
    if (!body.ok()) return body.error();
    auto code = json_int(*body, "code");
    if (!code) return Error::bad_response("wshoto access_token: the answer has no numeric `code`");
    if (*code != 0) {
        const std::string why = "wshoto access_token: " + describe_refusal(*body);
        if (codes.transient.count(*code)) return Error::transient(why);
        const std::string msg = json_text(*body, "msg").value_or("");
        if (msg.find("频率") != std::string::npos || msg.find("frequen") != std::string::npos) {
            return Error::rate_limited(why);
        }
        return Error::auth(why + " (check the account's appid and app_secret)");
    }
    const json data = body->value("data", json());
    IssuedToken t;
    t.access_token = data.is_object() ? json_text(data, "access_token").value_or("") : "";
    t.create_at = data.is_object() ? json_int(data, "create_at").value_or(0) : 0;
    t.expires_in = data.is_object() ? json_int(data, "expires_in").value_or(0) : 0;
    if (t.access_token.empty() || t.access_token.size() > 512 || t.create_at <= 0 ||
        t.expires_in <= 0) {
        return Error::bad_response(
            "wshoto access_token: data lacks access_token (1..512 bytes), create_at or "
            "expires_in");
    }
    return t;
}

UtcTime token_expires_at(const IssuedToken& token) {
    return UtcTime{std::chrono::seconds{token.create_at + token.expires_in}};
}

HttpRequest build_call(std::string_view base_url, std::string_view path,
                       std::string_view access_token, const json& body, std::string_view method) {
    HttpRequest r;
    r.method = std::string(method);
    r.url =
        std::string(base_url) + std::string(path) + "?access_token=" + form_encode(access_token);
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = body.dump();
    return r;
}

Result<json> product_list_body(std::int64_t product_type_id, std::string_view cursor,
                               int page_size) {
    if (page_size < 1 || page_size > kMaxPageSize) {
        return Error::config("wshoto products: page_size " + std::to_string(page_size) +
                             " is outside 1..100");
    }
    if (cursor.empty() || cursor.size() > kMaxCursorLength) {
        return Error::config("wshoto products: the cursor must be 1..32 characters");
    }
    return json{{"product_type_id", product_type_id},
                {"cursor", std::string(cursor)},
                {"product_status", kAllStatuses},
                {"page_size", page_size}};
}

Result<ProductListPage> read_product_list(const json& data) {
    if (!data.is_object() || !data.contains("records") || !data["records"].is_array()) {
        if (data.is_object() && !data.contains("records")) return ProductListPage{};
        return Error::bad_response("wshoto products: data.records is not an array");
    }
    ProductListPage page;
    page.total = json_int(data, "total").value_or(0);
    for (const json& r : data["records"]) page.records.push_back(r);
    if (auto c = json_scalar_text(data.value("max_cursor", json()))) {
        page.next_cursor = *c;
    } else if (!page.records.empty() && page.records.back().is_object()) {
        page.next_cursor =
            json_scalar_text(page.records.back().value("max_cursor", json())).value_or("");
    }
    if (page.next_cursor.size() > kMaxCursorLength) {
        return Error::bad_response("wshoto products: max_cursor is longer than 32 characters");
    }
    return page;
}

Result<NumberedPage> read_numbered_page(const json& data, std::string_view what) {
    NumberedPage page;
    if (data.is_null()) return page;
    if (!data.is_object()) {
        return Error::bad_response("wshoto " + std::string(what) + ": data is not an object");
    }
    if (auto it = data.find("records"); it != data.end() && !it->is_null()) page.records = *it;
    if (!page.records.is_array()) {
        return Error::bad_response("wshoto " + std::string(what) +
                                   ": data.records is not an array");
    }
    page.total = json_int(data, "total").value_or(-1);
    return page;
}

std::optional<json> read_product_detail(const json& data) {
    if (!data.is_object() || data.empty()) return std::nullopt;
    if (auto it = data.find("product_library_info"); it != data.end()) {
        if (!it->is_object() || it->empty()) return std::nullopt;
        return *it;
    }
    if (id_text(data, "product_library_id").empty()) return std::nullopt;
    return data;
}

Result<std::vector<json>> read_product_types(const json& data) {
    const json* list = &data;
    if (data.is_object()) {
        auto it = data.find("product_type_infos");
        if (it == data.end()) return std::vector<json>{};
        list = &*it;
    }
    if (!list->is_array()) {
        return Error::bad_response("wshoto product types: product_type_infos is not an array");
    }
    return std::vector<json>(list->begin(), list->end());
}

Result<std::vector<json>> read_category_tree(const json& data) {
    const json* list = &data;
    if (data.is_object()) {
        auto it = data.find("product_category_infos");
        if (it == data.end()) return std::vector<json>{};
        list = &*it;
    }
    if (data.is_null()) return std::vector<json>{};
    if (!list->is_array()) {
        return Error::bad_response("wshoto categories: product_category_infos is not an array");
    }
    return std::vector<json>(list->begin(), list->end());
}

std::string type_category_id(std::string_view product_type_id) {
    return "type:" + std::string(product_type_id);
}

std::variant<Category, DeadLetter> map_product_type(const json& type) {
    const std::string id = type.is_object() ? id_text(type, "product_type_id") : "";
    if (id.empty()) return DeadLetter{"", type.dump(), "product type without product_type_id"};
    Category c;
    c.external_id = type_category_id(id);
    c.code = "product_type";
    c.name = json_text(type, "product_type_name").value_or("");
    c.status = "active";
    c.raw_json = type.dump();
    return c;
}

void map_category_tree(const json& node, std::vector<Category>& out,
                       std::vector<DeadLetter>& letters) {
    const std::string id = node.is_object() ? id_text(node, "product_category_id") : "";
    if (id.empty()) {
        letters.push_back(DeadLetter{"", node.dump(), "category without product_category_id"});
        return;
    }
    Category c;
    c.external_id = id;
    const std::string parent = id_text(node, "parent_id");
    const std::string type = id_text(node, "product_type_id");
    // The tree's roots name their type as parent (parent_id is "the type id or the parent
    // category id"): a root hangs under its type's row.
    c.parent_external_id = (parent.empty() || parent == "0" || parent == type)
                               ? (type.empty() ? std::string() : type_category_id(type))
                               : parent;
    c.name = json_text(node, "product_category_name").value_or("");
    c.status = "active";
    json own = node;
    own.erase("children_category_list");
    c.raw_json = own.dump();
    out.push_back(std::move(c));
    if (auto it = node.find("children_category_list"); it != node.end() && it->is_array()) {
        for (const json& child : *it) map_category_tree(child, out, letters);
    }
}

std::variant<Product, DeadLetter> map_product_fields(const ProductFields& record, std::string raw) {
    if (!record.product_library_id || record.product_library_id->empty()) {
        return DeadLetter{"", std::move(raw), "product record without product_library_id"};
    }
    Product p;
    p.external_id = *record.product_library_id;
    p.sku = record.product_code.value_or("");
    p.title = record.name.value_or("");
    p.category_external_id = record.product_category_id.value_or("");
    p.platform_status = record.product_status.value_or("");
    p.status = p.platform_status == "1" ? ProductStatus::active : ProductStatus::inactive;
    p.raw_json = std::move(raw);
    return p;
}

std::variant<Product, DeadLetter> map_product(const json& record) {
    ProductFields fields;
    std::optional<std::string> texts[5];
    if (record.is_object()) {
        std::optional<std::string_view>* slots[5] = {
            &fields.product_library_id, &fields.product_code, &fields.name,
            &fields.product_category_id, &fields.product_status};
        const char* const names[5] = {"product_library_id", "product_code", "name",
                                      "product_category_id", "product_status"};
        for (int i = 0; i < 5; ++i) {
            texts[i] = json_text(record, names[i]);
            if (texts[i]) *slots[i] = *texts[i];
        }
    }
    return map_product_fields(fields, record.dump());
}

}  // namespace csync::wshoto
