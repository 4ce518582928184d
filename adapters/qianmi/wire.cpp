#include "qianmi/wire.hpp"

#include <algorithm>

#include "core/json_util.hpp"

namespace csync::qianmi {
namespace {

using nlohmann::json;

constexpr std::string_view kMethodPrefix = "qianmi.cloudshop.";

// Names the request builder sets itself; a business parameter may not take them.
constexpr std::string_view kSystemNames[] = {"method",    "appKey",       "v",   "format",
                                             "timestamp", "access_token", "sign"};

bool is_system_name(std::string_view name) {
    return std::find(std::begin(kSystemNames), std::end(kSystemNames), name) !=
           std::end(kSystemNames);
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

std::string excerpt(std::string_view body) {
    constexpr std::size_t kMax = 120;
    std::string out(body.substr(0, kMax));
    if (body.size() > kMax) out += "...";
    return out;
}

std::string text_or_empty(const json& object, std::string_view key) {
    return json_text(object, key).value_or("");
}

// The first sub-error of ROP's subErrors: [ {...} ], {"subError":[ {...} ]}, {"subError":{...}}
// or a lone {code,message}.
const json* first_sub_error(const json& sub_errors) {
    const json* list = &sub_errors;
    if (sub_errors.is_object()) {
        auto inner = sub_errors.find("subError");
        if (inner == sub_errors.end()) return sub_errors.contains("code") ? &sub_errors : nullptr;
        list = &*inner;
    }
    if (list->is_array()) {
        for (const auto& e : *list) {
            if (e.is_object()) return &e;
        }
        return nullptr;
    }
    return list->is_object() ? list : nullptr;
}

std::optional<int> code_number(std::string_view code) {
    if (code.empty() || code.size() > 6) return std::nullopt;
    int v = 0;
    for (char c : code) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

DeadLetter dead(const json& record, std::string key, std::string error) {
    return DeadLetter{std::move(key), record.dump(), std::move(error)};
}

// The item's shelf statuses as (on sale?, "d2c=..;d2p=.."), or the reason it has none usable,
// from the texts of d2c_approve_status, d2p_approve_status and approve_status.
std::variant<std::pair<bool, std::string>, std::string> shelf_status(
    const std::optional<std::string_view>& d2c, const std::optional<std::string_view>& d2p,
    const std::optional<std::string_view>& plain) {
    if (!d2c && !d2p) {
        // Only write APIs' answers lack both; approve_status is the single-channel field.
        if (plain) {
            auto sale = on_sale(*plain);
            if (!sale) return "unknown approve_status '" + std::string(*plain) + "'";
            return std::pair<bool, std::string>{*sale, "approve_status=" + std::string(*plain)};
        }
        return std::string("no shelf status (d2c_approve_status / d2p_approve_status)");
    }
    bool selling = false;
    for (const auto& [name, value] :
         {std::pair{"d2c_approve_status", d2c}, std::pair{"d2p_approve_status", d2p}}) {
        if (!value) continue;
        auto sale = on_sale(*value);
        if (!sale) return "unknown " + std::string(name) + " '" + std::string(*value) + "'";
        selling = selling || *sale;
    }
    return std::pair<bool, std::string>{
        selling, "d2c=" + std::string(d2c.value_or("")) + ";d2p=" + std::string(d2p.value_or(""))};
}

std::variant<std::pair<bool, std::string>, std::string> shelf_status(const json& item) {
    const auto d2c = json_text(item, "d2c_approve_status");
    const auto d2p = json_text(item, "d2p_approve_status");
    const auto plain = json_text(item, "approve_status");
    const auto view = [](const std::optional<std::string>& s) {
        return s ? std::optional<std::string_view>(*s) : std::nullopt;
    };
    return shelf_status(view(d2c), view(d2p), view(plain));
}

// A "yyyy-MM-dd HH:mm:ss" (GMT+8) text: nullopt when absent or empty; an error text when
// unreadable.
std::variant<std::optional<UtcTime>, std::string> time_text(std::optional<std::string_view> text,
                                                            std::string_view key) {
    if (!text || text->empty()) return std::optional<UtcTime>{};
    auto t = parse_timestamp(*text);
    if (!t) return std::string(key) + " '" + std::string(*text) + "' is not yyyy-MM-dd HH:mm:ss";
    return std::optional<UtcTime>{*t};
}

// A "yyyy-MM-dd HH:mm:ss" (GMT+8) field: nullopt when absent; an error text when unreadable.
std::variant<std::optional<UtcTime>, std::string> time_field(const json& record,
                                                             std::string_view key) {
    auto text = json_text(record, key);
    return time_text(text ? std::optional<std::string_view>(*text) : std::nullopt, key);
}

}  // namespace

// ---- credentials -------------------------------------------------------------------------------

Result<Credentials> credentials_from(const std::map<std::string, std::string>& values) {
    auto get = [&](const char* name) {
        auto it = values.find(name);
        return it == values.end() ? std::string() : it->second;
    };
    Credentials c{get("app_key"), get("app_secret"), get("access_token"), get("refresh_token")};
    if (c.app_key.empty()) return Error::config("qianmi needs the credential 'app_key'");
    if (c.app_secret.empty()) return Error::config("qianmi needs the credential 'app_secret'");
    return c;
}

std::vector<std::string> secret_values(const Credentials& credentials) {
    std::vector<std::string> out;
    for (const std::string* v :
         {&credentials.app_secret, &credentials.access_token, &credentials.refresh_token}) {
        if (!v->empty()) out.push_back(*v);
    }
    return out;
}

// ---- the signed gateway request ----------------------------------------------------------------

Params system_params(std::string_view app_key, std::string_view method,
                     std::string_view access_token, UtcTime now) {
    Params p = {{"method", std::string(method)},
                {"appKey", std::string(app_key)},
                {"v", std::string(kApiVersion)},
                {"format", std::string(kFormat)},
                {"timestamp", format_timestamp(now)}};
    if (!access_token.empty()) p.emplace_back("access_token", std::string(access_token));
    return p;
}

Result<HttpRequest> build_request(std::string_view gateway_url, const Credentials& app,
                                  std::string_view access_token, std::string_view method,
                                  const Params& business, UtcTime now) {
    if (app.app_key.empty() || app.app_secret.empty()) {
        return Error::config("qianmi needs the credentials 'app_key' and 'app_secret'");
    }
    if (method.empty()) return Error::config("the Qianmi method name is empty");
    Params query = system_params(app.app_key, method, access_token, now);
    Params body;
    body.reserve(business.size());
    for (const auto& [name, value] : business) {
        if (name.empty()) return Error::config("a Qianmi parameter name is empty");
        if (is_system_name(name)) {
            return Error::config("parameter '" + name +
                                 "' is a system parameter the request sets itself; do not pass it");
        }
        if (value.empty()) continue;  // never sent: see the header
        body.emplace_back(name, value);
    }
    Params signed_params = query;
    signed_params.insert(signed_params.end(), body.begin(), body.end());
    auto sign = QianmiSigner::sign(signed_params, app.app_secret);
    if (!sign.ok()) return std::move(sign).error();
    query.emplace_back("sign", *sign);

    HttpRequest request;
    request.method = "POST";
    request.url = std::string(gateway_url);
    request.url += request.url.find('?') == std::string::npos ? '?' : '&';
    request.url += build_form(query);
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"},
                       {"Accept", "application/json"}};
    request.body = build_form(body);
    return request;
}

// ---- envelopes ---------------------------------------------------------------------------------

std::string response_key(std::string_view method) {
    if (starts_with(method, kMethodPrefix)) method.remove_prefix(kMethodPrefix.size());
    std::string key(method);
    std::replace(key.begin(), key.end(), '.', '_');
    return key + "_response";
}

std::optional<PlatformError> find_error(const json& root) {
    if (!root.is_object()) return std::nullopt;
    if (auto it = root.find("error_response"); it != root.end() && it->is_object()) {
        return PlatformError{text_or_empty(*it, "code"), text_or_empty(*it, "msg"),
                             text_or_empty(*it, "sub_code"), text_or_empty(*it, "sub_msg")};
    }
    const bool rop =
        root.contains("errorToken") || (root.contains("code") && root.contains("message"));
    if (!rop) return std::nullopt;
    PlatformError e{text_or_empty(root, "code"), text_or_empty(root, "message"), {}, {}};
    if (auto it = root.find("subErrors"); it != root.end()) {
        if (const json* sub = first_sub_error(*it)) {
            e.sub_code = text_or_empty(*sub, "code");
            e.sub_message = text_or_empty(*sub, "message");
        }
    }
    return e;
}

Error classify_error(const PlatformError& error) {
    std::string detail = "code " + (error.code.empty() ? std::string("(none)") : error.code);
    if (!error.message.empty()) detail += " " + error.message;
    if (!error.sub_code.empty() || !error.sub_message.empty()) {
        detail += " (" + error.sub_code;
        if (!error.sub_message.empty()) {
            detail += error.sub_code.empty() ? error.sub_message : ": " + error.sub_message;
        }
        detail += ")";
    }
    const int code = code_number(error.code).value_or(-1);
    switch (code) {
        case 25:
            return Error::auth("signature rejected (" + detail +
                               "): check the account's app_key and app_secret");
        case 22:
        case 23:
            return Error::auth("app key refused (" + detail + "): check the account's app_key");
        case 3:
            return Error::auth("the seller's authorisation does not cover this call (" + detail +
                               "): authorise the app again and put the new refresh_token in the "
                               "config");
        case 20:
        case 21:
            return Error::token_expired("access token missing, invalid or expired (" + detail +
                                        ")");
        case 34:
        case 35:
        case 36:
            // A quota window of undocumented length: one minute is the shortest plausible one;
            // repeated answers back off further.
            return Error::rate_limited("call quota used up (" + detail + ")",
                                       std::chrono::milliseconds{60'000});
        case 37:
            return Error::rate_limited("call frequency too high (" + detail + ")",
                                       std::chrono::milliseconds{1'000});
        default:
            break;
    }
    if (starts_with(error.sub_code, "isp.")) {
        return Error::transient("platform-side failure (" + detail + ")");
    }
    switch (code) {
        case 1:
        case 7:
            return Error::transient("service unavailable (" + detail + ")");
        case 38:
        case 39:
            return Error::transient("timestamp refused (" + detail +
                                    "): check the host clock; the request is signed again with a "
                                    "fresh timestamp");
        case 2:
            return Error::config("the app is not granted this API (" + detail +
                                 "): enable it for the app on the Qianmi open platform");
        case 24:
        case 26:
        case 27:
        case 28:
        case 29:
        case 30:
        case 31:
        case 5:
        case 6:
        case 8:
        case 9:
        case 32:
        case 33:
            return Error::config("request refused (" + detail + ")");
        default:
            return Error::bad_response("unexpected error answer (" + detail + ")");
    }
}

Result<json> read_envelope(const HttpResponse& response, std::string_view method) {
    const std::string who = "Qianmi " + std::string(method);
    const int status = response.status;
    if (status >= 500) {
        return Error::transient(who + ": HTTP " + std::to_string(status) + ": " +
                                excerpt(response.body));
    }
    if (status == 429) {
        return Error::rate_limited(who + ": HTTP 429", std::chrono::milliseconds{1'000});
    }
    auto parsed = parse_json_exact(response.body);
    if (!parsed.ok()) {
        if (status < 200 || status >= 300) {
            return Error::bad_response(who + ": HTTP " + std::to_string(status) + ": " +
                                       excerpt(response.body));
        }
        return Error::bad_response(who + ": the answer is not JSON: " + parsed.error().message);
    }
    const json& root = *parsed;
    if (auto error = find_error(root)) {
        Error typed = classify_error(*error);
        typed.message = who + ": " + typed.message;
        return typed;
    }
    if (status < 200 || status >= 300) {
        return Error::bad_response(who + ": HTTP " + std::to_string(status) + ": " +
                                   excerpt(response.body));
    }
    if (!root.is_object()) {
        return Error::bad_response(who +
                                   ": the answer is not a JSON object: " + excerpt(response.body));
    }
    const std::string key = response_key(method);
    if (auto it = root.find(key); it != root.end() && it->is_object()) return *it;
    // As the SDK does: the first object-valued member is the body, whatever its name.
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (it.key() != "error_response" && it->is_object()) return *it;
    }
    return Error::bad_response(who + ": the answer has no '" + key +
                               "' object: " + excerpt(response.body));
}

Result<std::vector<json>> unwrap_list(const json& body, std::string_view list_name,
                                      std::string_view element_name) {
    std::vector<json> rows;
    if (!body.is_object())
        return Error::bad_response("expected an object holding '" + std::string(list_name) + "'");
    auto it = body.find(list_name);
    if (it == body.end() || it->is_null()) return rows;
    const json* list = &*it;
    if (list->is_object()) {
        std::string element(element_name);
        if (element.empty()) element = std::string(list_name.substr(0, list_name.size() - 1));
        auto inner = list->find(element);
        if (inner == list->end()) {
            // A fallback the SDK also applies: the list name minus its last character.
            inner = list->find(std::string(list_name.substr(0, list_name.size() - 1)));
        }
        if (inner == list->end() || inner->is_null()) {
            if (list->empty()) return rows;
            // A lone row where the wrapper should be: it has fields, not an element list.
            if (list->contains("num_iid") || list->contains("sku_id")) {
                rows.push_back(*list);
                return rows;
            }
            return Error::bad_response("'" + std::string(list_name) + "' has no '" + element +
                                       "' list");
        }
        list = &*inner;
    }
    if (list->is_array()) {
        rows.assign(list->begin(), list->end());
        return rows;
    }
    if (list->is_object()) {  // a one-row list written as the row itself
        rows.push_back(*list);
        return rows;
    }
    return Error::bad_response("'" + std::string(list_name) + "' is a " + list->type_name() +
                               ", not a list");
}

// ---- OAuth refresh -----------------------------------------------------------------------------

Result<HttpRequest> build_refresh_request(std::string_view token_url, const Credentials& app,
                                          std::string_view refresh_token) {
    if (app.app_key.empty() || app.app_secret.empty()) {
        return Error::config("qianmi needs the credentials 'app_key' and 'app_secret'");
    }
    if (refresh_token.empty()) {
        return Error::auth(
            "no Qianmi refresh_token to renew the access token with: authorise the app again and "
            "put the new refresh_token in the config");
    }
    Params form = {{"client_id", app.app_key},
                   {"grant_type", "refresh_token"},
                   {"refresh_token", std::string(refresh_token)}};
    auto sign = QianmiSigner::sign(form, app.app_secret);
    if (!sign.ok()) return std::move(sign).error();
    form.emplace_back("sign", *sign);
    HttpRequest request;
    request.method = "POST";
    request.url = std::string(token_url.empty() ? kDefaultTokenUrl : token_url);
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"},
                       {"Accept", "application/json"}};
    request.body = build_form(form);
    return request;
}

Result<TokenPair> read_refresh_response(const HttpResponse& response,
                                        std::string_view previous_refresh_token,
                                        UtcTime obtained_at) {
    const std::string refused_hint =
        ": authorise the app again and put the new refresh_token in the config";
    const int status = response.status;
    if (status >= 500) {
        return Error::transient("Qianmi token endpoint: HTTP " + std::to_string(status));
    }
    if (status == 429) {
        return Error::rate_limited("Qianmi token endpoint: HTTP 429",
                                   std::chrono::milliseconds{1'000});
    }
    auto parsed = parse_json_exact(response.body);
    if (!parsed.ok() || !parsed->is_object()) {
        if (status == 400 || status == 401 || status == 403) {
            return Error::auth("Qianmi refused to refresh the access token (HTTP " +
                               std::to_string(status) + ")" + refused_hint);
        }
        return Error::bad_response("Qianmi token endpoint: HTTP " + std::to_string(status) +
                                   ", the answer is not a JSON object: " + excerpt(response.body));
    }
    const json& root = *parsed;
    const json& data = root.contains("data") && root["data"].is_object() ? root["data"] : root;
    std::optional<bool> accepted;
    std::string why;
    if (auto code = json_text(root, "errorCode")) {
        accepted = *code == "0";
        why = "errorCode " + *code + " " + text_or_empty(root, "errorMessage");
    } else if (auto flag = json_text(root, "status")) {
        accepted = *flag == "1" || *flag == "true";
        why = "status " + *flag + " " + text_or_empty(root, "message");
    } else if (auto error = find_error(root)) {
        // A gateway answer in ROP's form: its throttling and platform-side failures say nothing
        // about the refresh token, which stays good (and unused) for a later try.
        Error classified = classify_error(*error);
        if (classified.kind == ErrorKind::rate_limited || classified.kind == ErrorKind::transient) {
            classified.message = "Qianmi token endpoint: " + classified.message;
            return classified;
        }
        accepted = false;
        why = "code " + error->code + " " + error->message;
    }
    if (accepted == false || (!accepted && status >= 400)) {
        while (!why.empty() && why.back() == ' ') why.pop_back();
        if (why.empty()) why = "HTTP " + std::to_string(status);
        return Error::auth("Qianmi refused to refresh the access token (" + why + ")" +
                           refused_hint);
    }
    auto access = json_text(data, "access_token");
    if (!access || access->empty()) {
        return Error::bad_response("Qianmi token endpoint answered without an access_token");
    }
    TokenPair pair;
    pair.access_token = *access;
    pair.refresh_token = json_text(data, "refresh_token").value_or("");
    if (pair.refresh_token.empty()) pair.refresh_token = std::string(previous_refresh_token);
    if (auto seconds = json_int(data, "expires_in"); seconds && *seconds > 0) {
        pair.expires_in = std::chrono::seconds{*seconds};
    }
    pair.obtained_at = obtained_at;
    return pair;
}

// ---- the item APIs -----------------------------------------------------------------------------

Result<Params> listing_params(const ListingQuery& query) {
    if (query.page_no < 0) {
        return Error::config("items.all.list page_no is 0-based: it cannot be < 0");
    }
    if (query.page_size < 1 || query.page_size > kMaxPageSize) {
        return Error::config("items.all.list page_size must be 1 to " +
                             std::to_string(kMaxPageSize) + ", got " +
                             std::to_string(query.page_size));
    }
    const std::string_view order_by = query.order_by;
    const auto colon = order_by.find(':');
    const std::string_view column = order_by.substr(0, colon);
    const std::string_view direction =
        colon == std::string_view::npos ? std::string_view("asc") : order_by.substr(colon + 1);
    const bool known_column = std::find(std::begin(kOrderColumns), std::end(kOrderColumns),
                                        column) != std::end(kOrderColumns);
    if (!known_column || (direction != "asc" && direction != "desc")) {
        return Error::config("order_by '" + query.order_by +
                             "': use cid, num, brand_id or type_id, optionally with :asc or :desc");
    }
    if (query.fields.empty()) return Error::config("items.all.list needs fields");
    Params params = {{"fields", query.fields},
                     {"page_no", std::to_string(query.page_no)},
                     {"page_size", std::to_string(query.page_size)},
                     {"order_by", std::string(column) + ":" + std::string(direction)}};
    for (const auto& [name, value] : query.filters) {
        if (name != "cid" && name != "brand_id" && name != "type_id") {
            return Error::config("items.all.list filter '" + name +
                                 "': use cid, brand_id or type_id");
        }
        params.emplace_back(name, value);
    }
    return params;
}

Result<Params> listing_params(std::int64_t page_no, int page_size, std::string_view order_by) {
    ListingQuery query;
    query.page_no = page_no;
    query.page_size = page_size;
    query.order_by = std::string(order_by);
    return listing_params(query);
}

Result<Params> batch_params(const std::vector<std::string>& num_iids) {
    if (num_iids.empty()) return Error::config("items.list.get needs at least one num_iid");
    if (num_iids.size() > kMaxIdsPerBatch) {
        return Error::config("items.list.get takes at most " + std::to_string(kMaxIdsPerBatch) +
                             " num_iids, got " + std::to_string(num_iids.size()));
    }
    std::string joined;
    for (const auto& id : num_iids) {
        if (id.empty() || id.find(',') != std::string::npos) {
            return Error::config("num_iid '" + id + "' is empty or holds a comma");
        }
        if (!joined.empty()) joined += ',';
        joined += id;
    }
    return Params{{"fields", std::string(kListGetFields)}, {"num_iids", joined}};
}

Params item_params(std::string_view num_iid) {
    return Params{{"fields", std::string(kItemGetFields)}, {"num_iid", std::string(num_iid)}};
}

Result<ListingPage> read_listing(const json& body) {
    if (!body.is_object()) return Error::bad_response("items.all.list answer is not an object");
    auto total = json_int(body, "total_results");
    if (!total || *total < 0) {
        return Error::bad_response("items.all.list answer without a valid total_results");
    }
    auto rows = unwrap_list(body, "items", "item");
    if (!rows.ok()) return Error::bad_response("items.all.list: " + rows.error().message);
    ListingPage page;
    page.total_results = *total;
    for (const json& row : *rows) {
        auto id = row.is_object() ? json_text(row, "num_iid") : std::nullopt;
        if (!id || id->empty()) {
            page.dead_letters.push_back(dead(row, "", "listing row without num_iid"));
            continue;
        }
        ListingEntry entry;
        entry.num_iid = *id;
        entry.modified_text = text_or_empty(row, "modified");
        entry.modified = parse_timestamp(entry.modified_text);
        entry.cid = text_or_empty(row, "cid");
        entry.brand_id = text_or_empty(row, "brand_id");
        page.entries.push_back(std::move(entry));
    }
    return page;
}

std::optional<bool> on_sale(std::string_view approve_status) {
    if (approve_status == "onsale" || approve_status == "1") return true;
    if (approve_status == "instock" || approve_status == "0" || approve_status.empty()) {
        return false;
    }
    return std::nullopt;
}

std::variant<MappedProduct, DeadLetter> map_item_fields(const ItemFields& item,
                                                        std::optional<UtcTime> modified,
                                                        std::string raw) {
    const auto dead_row = [&](std::string key, std::string error) {
        return DeadLetter{std::move(key), std::move(raw), std::move(error)};
    };
    if (!item.num_iid || item.num_iid->empty()) return dead_row("", "item record without num_iid");
    const std::string id(*item.num_iid);
    const std::string key = "num_iid=" + id;

    MappedProduct out;
    Product& p = out.product;
    p.external_id = id;
    p.sku = item.outer_id.value_or("");
    if (p.sku.empty()) p.sku = id;
    p.title = item.title.value_or("");
    p.brand = item.brand_name.value_or("");
    p.category_external_id = item.cid.value_or("");
    p.currency = kCurrency;
    if (item.price) {
        p.price = item.price_value;
        if (!p.price)
            return dead_row(key, "price '" + std::string(*item.price) + "' is not a decimal");
    }
    if (item.num) {
        p.stock = item.num_value;
        if (!p.stock)
            return dead_row(key, "num '" + std::string(*item.num) + "' is not an integer");
    }
    auto shelf =
        shelf_status(item.d2c_approve_status, item.d2p_approve_status, item.approve_status);
    if (auto* why = std::get_if<std::string>(&shelf)) return dead_row(key, *why);
    const auto& [selling, platform_status] = std::get<std::pair<bool, std::string>>(shelf);
    p.status = selling ? ProductStatus::active : ProductStatus::inactive;
    out.platform_status = platform_status;
    if (!modified) {
        auto own = time_text(item.modified, "modified");
        if (auto* why = std::get_if<std::string>(&own)) return dead_row(key, *why);
        modified = std::get<std::optional<UtcTime>>(own);
    }
    p.source_modified_at = modified;
    p.raw_json = std::move(raw);
    return out;
}

std::variant<MappedProduct, DeadLetter> map_item(const json& item,
                                                 std::optional<UtcTime> modified) {
    if (!item.is_object()) return dead(item, "", "item record is not a JSON object");
    // The texts the fields view, kept here while they are mapped.
    std::optional<std::string> texts[10];
    const char* const names[10] = {"num_iid",
                                   "outer_id",
                                   "title",
                                   "brand_name",
                                   "cid",
                                   "price",
                                   "num",
                                   "d2c_approve_status",
                                   "d2p_approve_status",
                                   "approve_status"};
    std::optional<std::string_view> views[10];
    for (int i = 0; i < 10; ++i) {
        texts[i] = json_text(item, names[i]);
        if (texts[i]) views[i] = *texts[i];
    }
    const auto modified_text = json_text(item, "modified");
    ItemFields f;
    f.num_iid = views[0];
    f.outer_id = views[1];
    f.title = views[2];
    f.brand_name = views[3];
    f.cid = views[4];
    f.price = views[5];
    f.num = views[6];
    f.d2c_approve_status = views[7];
    f.d2p_approve_status = views[8];
    f.approve_status = views[9];
    if (modified_text) f.modified = *modified_text;
    f.price_value = json_decimal(item, "price");
    f.num_value = json_int(item, "num");
    return map_item_fields(f, modified, item.dump());
}

Result<std::vector<json>> read_batch(const json& body) {
    auto rows = unwrap_list(body, "items", "item");
    if (!rows.ok()) return Error::bad_response("items.list.get: " + rows.error().message);
    return rows;
}

Result<std::optional<json>> read_item(const json& body) {
    if (!body.is_object()) return Error::bad_response("item.get answer is not an object");
    auto it = body.find("item");
    if (it == body.end() || it->is_null()) return std::optional<json>{};
    if (!it->is_object()) return Error::bad_response("item.get 'item' is not an object");
    return std::optional<json>{*it};
}

std::vector<std::variant<MappedProduct, DeadLetter>> map_item_skus(
    const json& item, std::optional<UtcTime> modified) {
    std::vector<std::variant<MappedProduct, DeadLetter>> out;
    if (!item.is_object()) {
        out.emplace_back(dead(item, "", "item record is not a JSON object"));
        return out;
    }
    auto id = json_text(item, "num_iid");
    if (!id || id->empty()) {
        out.emplace_back(dead(item, "", "item record without num_iid"));
        return out;
    }
    const std::string item_key = "num_iid=" + *id;
    auto skus = unwrap_list(item, "skus", "sku");
    if (!skus.ok()) {
        out.emplace_back(dead(item, item_key, skus.error().message));
        return out;
    }
    if (skus->empty()) return out;
    auto shelf = shelf_status(item);
    if (auto* why = std::get_if<std::string>(&shelf)) {
        out.emplace_back(dead(item, item_key, *why));
        return out;
    }
    const auto& [selling, item_status] = std::get<std::pair<bool, std::string>>(shelf);
    auto item_time = time_field(item, "modified");
    if (auto* t = std::get_if<std::optional<UtcTime>>(&item_time); t && *t) modified = *t;
    const std::string title = text_or_empty(item, "title");

    for (const json& sku : *skus) {
        auto sku_id = sku.is_object() ? json_text(sku, "sku_id") : std::nullopt;
        if (!sku_id || sku_id->empty()) {
            out.emplace_back(dead(sku, item_key, "SKU without sku_id"));
            continue;
        }
        const std::string key = "sku_id=" + *sku_id;
        MappedProduct row;
        Product& p = row.product;
        p.external_id = *sku_id;
        p.parent_external_id = *id;
        p.sku = text_or_empty(sku, "outer_id");
        if (p.sku.empty()) p.sku = *sku_id;
        p.barcode = text_or_empty(sku, "barcode");
        const std::string properties = text_or_empty(sku, "properties_name");
        p.title = properties.empty() ? title : title + " " + properties;
        p.brand = text_or_empty(item, "brand_name");
        p.category_external_id = text_or_empty(item, "cid");
        p.currency = kCurrency;
        const json& price_source = json_text(sku, "price") ? sku : item;
        if (auto raw = json_text(price_source, "price")) {
            p.price = json_decimal(price_source, "price");
            if (!p.price) {
                out.emplace_back(dead(sku, key, "price '" + *raw + "' is not a decimal"));
                continue;
            }
        }
        if (auto raw = json_text(sku, "quantity")) {
            p.stock = json_int(sku, "quantity");
            if (!p.stock) {
                out.emplace_back(dead(sku, key, "quantity '" + *raw + "' is not an integer"));
                continue;
            }
        }
        const std::string sku_status = text_or_empty(sku, "status");
        p.status = sku_status == "delete"
                       ? ProductStatus::deleted
                       : (selling ? ProductStatus::active : ProductStatus::inactive);
        row.platform_status = item_status + ";sku=" + sku_status;
        auto sku_time = time_field(sku, "modified");
        if (auto* why = std::get_if<std::string>(&sku_time)) {
            out.emplace_back(dead(sku, key, *why));
            continue;
        }
        const auto own = std::get<std::optional<UtcTime>>(sku_time);
        p.source_modified_at = own ? own : modified;
        p.raw_json = sku.dump();
        out.emplace_back(std::move(row));
    }
    return out;
}

// ---- commerce-syncd api ------------------------------------------------------------------------

Result<HttpRequest> build_raw_call(std::string_view gateway_url, const Credentials& app,
                                   std::string_view access_token, const RawCall& call,
                                   UtcTime now) {
    if (call.body) {
        return Error::config("qianmi takes form parameters only; pass them with -p NAME=VALUE");
    }
    if (call.method.empty()) {
        return Error::config("a Qianmi method name is needed, e.g. " + std::string(kItemsListGet));
    }
    const UtcTime at = call.at_unix ? UtcTime{std::chrono::seconds{*call.at_unix}} : now;
    Params business(call.params.begin(), call.params.end());
    return build_request(gateway_url, app, access_token, call.method, business, at);
}

Status read_raw_response(const HttpResponse& response, std::string_view method) {
    auto body = read_envelope(response, method);
    if (!body.ok()) return std::move(body).error();
    return {};
}

}  // namespace csync::qianmi
