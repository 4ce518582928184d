#include "qianmi/simulator.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "qianmi/signer.hpp"
#include "qianmi/wire.hpp"

namespace csync::qianmi {
namespace {

using nlohmann::json;

// The catalogue's first item was modified at 2024-03-01 08:00:00 GMT+8.
const UtcTime kCatalogueStart{std::chrono::seconds{1'709'251'200}};
constexpr std::string_view kTokenPath = "/token";

// What each API can return (seed and notes §6, §7).
const std::set<std::string_view> kAllListFields = {
    "cid",      "pic_url",    "num",        "list_time",          "delist_time",
    "price",    "modified",   "num_iid",    "d2c_approve_status", "d2p_approve_status",
    "title",    "user_nick",  "unit",       "item_weight",        "outer_id",
    "brand_id", "brand_name", "is_fenxiao", "sub_stock"};
const std::set<std::string_view> kListGetAllowed = {
    "cid",      "pic_url", "num",       "price",    "d2c_approve_status", "d2p_approve_status",
    "num_iid",  "title",   "created",   "unit",     "item_weight",        "item_size",
    "outer_id", "type_id", "type_name", "brand_id", "brand_name",         "is_fenxiao",
    "sub_stock"};
const std::set<std::string_view> kItemGetAllowed = {"cid",
                                                    "pic_url",
                                                    "num",
                                                    "list_time",
                                                    "delist_time",
                                                    "price",
                                                    "modified",
                                                    "num_iid",
                                                    "d2c_approve_status",
                                                    "d2p_approve_status",
                                                    "title",
                                                    "user_nick",
                                                    "unit",
                                                    "item_weight",
                                                    "item_size",
                                                    "outer_id",
                                                    "brand_id",
                                                    "brand_name",
                                                    "type_id",
                                                    "type_name",
                                                    "is_fenxiao",
                                                    "sub_stock",
                                                    "created",
                                                    "approve_status",
                                                    "skus"};

const char* const kNouns[] = {"T恤",    "连衣裙",   "运动鞋", "保温杯",
                              "充电宝", "蓝牙耳机", "面膜",   "Phone Case"};
const char* const kBrands[] = {"千米优选", "ACME",  "北极绒", "Xiaomi",
                               "回力",     "Anker", "百雀羚", "Nike"};
// A shop of many categories and brands: tie groups of one cid span several pages, while a
// cid+brand_id filter usually fits in one.
constexpr std::uint64_t kCategoryCount = 40;
constexpr std::uint64_t kBrandCount = 20;
const char* const kTypes[] = {"服装", "鞋靴", "数码", "家居", "美妆"};
const char* const kColours[] = {"颜色:红", "颜色:蓝", "颜色:黑 特大"};

std::string money(std::int64_t cents) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                  static_cast<long long>(cents % 100));
    return buf;
}

std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> out;
    while (true) {
        const auto at = text.find(sep);
        std::string part(text.substr(0, at));
        if (!part.empty()) out.push_back(std::move(part));
        if (at == std::string_view::npos) break;
        text.remove_prefix(at + 1);
    }
    return out;
}

std::string get(const std::map<std::string, std::string>& params, const char* name) {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
}

SimResponse json_answer(const json& body, int status = 200) {
    SimResponse r;
    r.status = status;
    r.content_type = "application/json;charset=UTF-8";
    r.body = body.dump();
    return r;
}

}  // namespace

QianmiSimulator::QianmiSimulator(SimOptions options) : options_(std::move(options)) {
    auto credential = [&](const char* name, const char* fallback) {
        auto it = options_.credentials.find(name);
        return it == options_.credentials.end() || it->second.empty() ? std::string(fallback)
                                                                      : it->second;
    };
    app_key_ = credential("app_key", "");
    app_secret_ = credential("app_secret", "");
    if (app_key_.empty() || app_secret_.empty()) {
        throw std::invalid_argument(
            "the qianmi simulator needs --cred app_key=K and --app-secret S (or --cred "
            "app_secret=S)");
    }
    access_token_ = credential("access_token", "sim-access-token");
    refresh_token_ = credential("refresh_token", "sim-refresh-token");
    token_issued_ = now();
    // Start-up readings (--reading NAME=VALUE), as /__sim/qianmi/readings sets them later.
    for (const auto& [name, value] : options_.readings) {
        if (!set_reading(name, value)) {
            throw std::invalid_argument("qianmi simulator: unknown reading or value " + name + "=" +
                                        value);
        }
    }
    rng_.seed(options_.seed);
    UtcTime t = kCatalogueStart;
    items_.reserve(options_.products);
    for (std::size_t i = 0; i < options_.products; ++i) {
        // Times rise with many repeats, as bulk imports leave them.
        if (rng_() % 3 == 0) t += std::chrono::seconds{1 + static_cast<long>(rng_() % 600)};
        items_.push_back(make_item(next_serial_++, t));
        position_[items_.back().num_iid] = items_.size() - 1;
    }
}

UtcTime QianmiSimulator::now() const {
    return std::chrono::time_point_cast<std::chrono::seconds>(options_.now());
}

QianmiSimulator::Item QianmiSimulator::make_item(std::size_t serial, UtcTime modified) {
    Item item;
    // Ids start with "P" (the seed's P1555); a tenth are plain digits, as some shops have them.
    item.num_iid = serial % 10 == 9 ? std::to_string(1'400'000 + serial * 7)
                                    : "P" + std::to_string(10'000 + serial * 7);
    const std::size_t noun = rng_() % 8;
    const std::size_t brand = rng_() % kBrandCount;
    const std::size_t type = rng_() % 5;
    item.brand_name =
        std::string(kBrands[brand % 8]) + (brand < 8 ? "" : " " + std::to_string(brand));
    item.title = item.brand_name + " " + kNouns[noun] + " " + std::to_string(serial);
    item.outer_id = "M" + std::to_string(100'000 + serial);
    item.cid = std::to_string(1001 + rng_() % kCategoryCount);
    item.brand_id = std::to_string(501 + brand);
    item.type_id = std::to_string(31 + type);
    item.type_name = kTypes[type];
    item.d2c_status = rng_() % 4 == 0 ? "instock" : "onsale";
    item.d2p_status = rng_() % 3 == 0 ? "onsale" : "instock";
    item.price_cents = 100 + static_cast<std::int64_t>(rng_() % 99'900);
    item.num = static_cast<std::int64_t>(rng_() % 200);
    item.created = modified - std::chrono::hours{24 * 30};
    item.modified = modified;
    const std::size_t sku_count = 1 + rng_() % 3;
    for (std::size_t k = 0; k < sku_count; ++k) {
        Sku sku;
        sku.sku_id = "g" + std::to_string(20'000 + serial * 7) + std::to_string(k);
        sku.outer_id = item.outer_id + "-" + std::to_string(k + 1);
        char barcode[16];
        std::snprintf(barcode, sizeof barcode, "69%011llu",
                      static_cast<unsigned long long>(rng_() % 100'000'000'000ULL));
        sku.barcode = barcode;
        sku.properties_name = kColours[k];
        sku.status = "normal";
        sku.price_cents = item.price_cents + static_cast<std::int64_t>(k) * 100;
        sku.quantity = static_cast<std::int64_t>(rng_() % 80);
        sku.modified = modified;
        item.skus.push_back(std::move(sku));
    }
    return item;
}

void QianmiSimulator::edit(Item& item, UtcTime when) {
    item.price_cents = 100 + static_cast<std::int64_t>(rng_() % 99'900);
    item.num = static_cast<std::int64_t>(rng_() % 200);
    if (rng_() % 4 == 0) item.d2c_status = item.d2c_status == "onsale" ? "instock" : "onsale";
    if (rng_() % 5 == 0) item.cid = std::to_string(1001 + rng_() % kCategoryCount);  // it moves
    item.modified = when;
    for (Sku& sku : item.skus) {
        sku.price_cents = item.price_cents;
        sku.quantity = static_cast<std::int64_t>(rng_() % 80);
        sku.modified = when;
    }
}

QianmiSimulator::Item* QianmiSimulator::find_item(const std::string& num_iid) {
    auto it = position_.find(num_iid);
    return it == position_.end() ? nullptr : &items_[it->second];
}

void QianmiSimulator::erase_item(std::size_t position) {
    position_.erase(items_[position].num_iid);
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(position));
    for (std::size_t i = position; i < items_.size(); ++i) position_[items_[i].num_iid] = i;
}

bool QianmiSimulator::touch_item(const std::string& num_iid) {
    Item* item = find_item(num_iid);
    if (item == nullptr) return false;
    edit(*item, now());
    return true;
}

bool QianmiSimulator::delete_item(const std::string& num_iid) {
    auto it = position_.find(num_iid);
    if (it == position_.end()) return false;
    erase_item(it->second);
    return true;
}

std::vector<std::string> QianmiSimulator::item_ids() const {
    std::vector<std::string> out;
    out.reserve(items_.size());
    for (const Item& i : items_) out.push_back(i.num_iid);
    return out;
}

std::size_t QianmiSimulator::mutate(std::size_t count) {
    const UtcTime when = now();
    for (std::size_t n = 0; n < count; ++n) {
        const std::uint64_t r = rng_() % 10;
        if (items_.empty() || (r >= 6 && r < 8)) {
            items_.push_back(make_item(next_serial_++, when));
            position_[items_.back().num_iid] = items_.size() - 1;
        } else if (r >= 8) {
            erase_item(rng_() % items_.size());
        } else {
            edit(items_[rng_() % items_.size()], when);
        }
    }
    return count;
}

json QianmiSimulator::count_json(std::int64_t n) const {
    if (readings_.scalars == "string") return std::to_string(n);
    return n;
}

json QianmiSimulator::item_json(const Item& item, const Fields* fields) const {
    auto want = [&](const char* name) { return fields == nullptr || fields->count(name) > 0; };
    json j = json::object();
    auto put = [&](const char* name, json value) {
        if (want(name)) j[name] = std::move(value);
    };
    put("num_iid", item.num_iid);
    put("title", item.title);
    put("price", money(item.price_cents));
    put("num", count_json(item.num));
    put("outer_id", item.outer_id);
    put("cid", item.cid);
    put("brand_id", item.brand_id);
    put("brand_name", item.brand_name);
    put("type_id", item.type_id);
    put("type_name", item.type_name);
    put("d2c_approve_status", item.d2c_status);
    put("d2p_approve_status", item.d2p_status);
    put("approve_status",
        item.d2c_status == "onsale" || item.d2p_status == "onsale" ? "onsale" : "instock");
    put("created", format_timestamp(item.created));
    put("modified", format_timestamp(item.modified));
    put("pic_url", "https://img.qianmi.test/" + item.num_iid + ".jpg");
    put("unit", "件");
    put("item_weight", "500");
    put("item_size", "0.001");
    put("is_fenxiao", "0");
    put("sub_stock", "0");
    put("user_nick", "sim-shop");
    if (want("skus")) {
        std::vector<json> skus;
        for (const Sku& s : item.skus) {
            skus.push_back(json{{"sku_id", s.sku_id},
                                {"num_iid", item.num_iid},
                                {"outer_id", s.outer_id},
                                {"barcode", s.barcode},
                                {"price", money(s.price_cents)},
                                {"quantity", count_json(s.quantity)},
                                {"properties_name", s.properties_name},
                                {"status", s.status},
                                {"modified", format_timestamp(s.modified)}});
        }
        json wrapped = list_json(std::move(skus));
        if (!wrapped.is_null()) j["skus"] = json{{"sku", std::move(wrapped)}};
    }
    return j;
}

// The element list of a doubly wrapped list, per the readings; null: leave the list out.
json QianmiSimulator::list_json(std::vector<json> rows) const {
    if (rows.empty() && readings_.omit_empty_lists) return nullptr;
    if (rows.size() == 1 && readings_.lone_object) return std::move(rows.front());
    return json(std::move(rows));
}

std::string QianmiSimulator::truth_ndjson() {
    std::string out;
    for (const Item& item : items_) {
        out += item_json(item, nullptr).dump();
        out += '\n';
    }
    return out;
}

SimResponse QianmiSimulator::success(std::string_view method, json body) const {
    std::string key = response_key(method);
    if (readings_.response_key == "full") {
        key = std::string(method);
        std::replace(key.begin(), key.end(), '.', '_');
        key += "_response";
    } else if (readings_.response_key == "other") {
        key = "result";
    }
    return json_answer(json{{key, std::move(body)}});
}

SimResponse QianmiSimulator::error(int code, std::string_view message, std::string_view sub_code,
                                   std::string_view sub_message) {
    ++errors_[std::to_string(code)];
    const json code_value = readings_.scalars == "number" ? json(code) : json(std::to_string(code));
    if (readings_.error_shape == "wrapped") {
        json e = {{"code", code_value}, {"msg", message}};
        if (!sub_code.empty()) {
            e["sub_code"] = sub_code;
            e["sub_msg"] = sub_message;
        }
        return json_answer(json{{"error_response", e}});
    }
    json e = {{"errorToken", "@@$-ERROR_TOKEN$-@@"},
              {"code", code_value},
              {"message", message},
              {"solution", "请查看根据服务接口对参数格式的要求"}};
    if (!sub_code.empty()) {
        json list = json::array({json{{"code", sub_code}, {"message", sub_message}}});
        e["subErrors"] = readings_.sub_errors == "wrapped" ? json{{"subError", list}} : list;
    }
    return json_answer(e);
}

SimResponse QianmiSimulator::rate_limit_response() const {
    // const: the frame's injected faults are not counted as answers of the simulator.
    const int code = readings_.quota_code;
    const json code_value = readings_.scalars == "number" ? json(code) : json(std::to_string(code));
    const char* message = code == 37 ? "应用调用服务的频率超限" : "调用服务的次数超限";
    if (readings_.error_shape == "wrapped") {
        return json_answer(json{{"error_response", {{"code", code_value}, {"msg", message}}}});
    }
    return json_answer(json{{"errorToken", "@@$-ERROR_TOKEN$-@@"},
                            {"code", code_value},
                            {"message", message},
                            {"solution", "请稍后重试"}});
}

SimResponse QianmiSimulator::oauth_refusal(std::string_view message) const {
    if (readings_.oauth_form == "status") {
        return json_answer(json{{"status", 0}, {"message", message}});
    }
    return json_answer(json{{"errorCode", 1003}, {"errorMessage", message}});
}

SimResponse QianmiSimulator::token_endpoint(const ParamMap& params) {
    const std::string client = get(params, "client_id");
    if (client != app_key_) return oauth_refusal("invalid client_id");
    Params signed_params(params.begin(), params.end());
    auto expected = QianmiSigner::sign(signed_params, app_secret_);
    if (!expected.ok() || *expected != get(params, "sign")) return oauth_refusal("invalid sign");
    if (get(params, "grant_type") != "refresh_token") {
        return oauth_refusal("unsupported grant_type");
    }
    const std::string presented = get(params, "refresh_token");
    const bool previous_still_works =
        !previous_refresh_token_.empty() && presented == previous_refresh_token_;
    if (presented != refresh_token_ && !previous_still_works) {
        return oauth_refusal("refresh_token无效或已过期");
    }
    if (readings_.old_refresh == "until_used" && !previous_still_works) {
        previous_refresh_token_ = refresh_token_;
    }
    ++refreshes_;
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng_()));
    access_token_ = "sim-at-" + std::to_string(refreshes_) + "-" + suffix;
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng_()));
    refresh_token_ = "sim-rt-" + std::to_string(refreshes_) + "-" + suffix;
    token_issued_ = now();
    revoked_ = false;
    const std::int64_t lifetime =
        options_.token_ttl.count() > 0 ? options_.token_ttl.count() : 86400;
    json tokens = {{"access_token", access_token_},
                   {"refresh_token", refresh_token_},
                   {"expires_in", lifetime},
                   {"re_expires_in", 30 * 86400},
                   {"user_id", "10001"},
                   {"user_nick", "sim-shop"}};
    if (readings_.oauth_form == "status") {
        tokens["status"] = 1;
        return json_answer(tokens);
    }
    return json_answer(json{{"errorCode", 0}, {"errorMessage", ""}, {"data", tokens}});
}

SimResponse QianmiSimulator::handle(const SimRequest& request) {
    // ROP reads parameters from the query and the form body alike; the first value of a name wins.
    ParamMap params;
    for (const auto& [k, v] : request.query) params.emplace(k, v);
    if (!request.body.empty()) {
        for (const auto& [k, v] : parse_form(request.body)) params.emplace(k, v);
    }
    if (request.path == kTokenPath) {
        ++calls_[std::string(kTokenPath)];
        if (request.method != "POST") return oauth_refusal("use POST");
        return token_endpoint(params);
    }
    const std::string method = get(params, "method");
    ++calls_[method.empty() ? "(none)" : method];
    if (method.empty()) return error(26, "缺少方法名参数");
    if (method != kItemsAllList && method != kItemsListGet && method != kItemGet) {
        return error(27, "不存在的方法名");
    }
    const std::string app_key = get(params, "appKey");
    if (app_key.empty()) return error(22, "缺少appKey参数");
    if (app_key != app_key_) return error(23, "无效的appKey参数");
    const auto sign = params.find("sign");
    if (sign == params.end()) return error(24, "缺少签名参数");
    // Every parameter received is signed, empty ones included.
    Params received(params.begin(), params.end());
    auto expected = QianmiSigner::sign(received, app_secret_);
    if (!expected.ok() || *expected != sign->second) return error(25, "无效签名");
    const std::string version = get(params, "v");
    if (version.empty()) return error(28, "缺少版本参数");
    if (version != kApiVersion) return error(30, "不支持的版本号");
    const std::string format = get(params, "format");
    if (format.empty()) return error(32, "缺少必选参数", "isv.missing-parameter:format");
    if (format != kFormat) return error(31, "无效的格式类型");

    const std::string timestamp = get(params, "timestamp");
    if (timestamp.empty()) return error(32, "缺少必选参数", "isv.missing-parameter:timestamp");
    std::optional<UtcTime> sent_at = parse_timestamp(timestamp);
    if (!sent_at && readings_.millis_timestamp) {
        if (auto ms = parse_int64(timestamp)) {
            sent_at = UtcTime{
                std::chrono::duration_cast<std::chrono::seconds>(std::chrono::milliseconds{*ms})};
        }
    }
    if (!sent_at) {
        return error(33, "非法的参数", "isv.invalid-paramete:timestamp", "yyyy-MM-dd HH:mm:ss");
    }
    const auto skew = *sent_at > now() ? *sent_at - now() : now() - *sent_at;
    if (skew > kTimestampWindow) {
        if (readings_.timestamp_code == 33) {
            return error(33, "非法的参数", "isv.invalid-paramete:timestamp",
                         "时间戳与服务器时间相差超过10分钟");
        }
        return error(readings_.timestamp_code, "无效的时间戳");
    }

    const std::string token = get(params, "access_token");
    if (token.empty()) return error(20, "缺少access_token参数");
    const bool expired =
        options_.token_ttl.count() > 0 && now() - token_issued_ >= options_.token_ttl;
    if (token != access_token_ || revoked_ || expired) {
        return error(readings_.token_code, "无效的access_token");
    }
    previous_refresh_token_.clear();  // the client holds the new pair

    if (budget_.exceeded(options_.now(), options_.rate_limit_per_minute)) {
        ++errors_[std::to_string(readings_.quota_code)];
        return rate_limit_response();
    }

    if (method == kItemsAllList) return all_list(params);
    if (method == kItemsListGet) return list_get(params);
    return item_get(params);
}

bool QianmiSimulator::requested_fields(const ParamMap& params,
                                       const std::set<std::string_view>& allowed, Fields& out,
                                       SimResponse& refusal) {
    const std::string fields = get(params, "fields");
    if (fields.empty()) {
        refusal = error(32, "缺少必选参数", "isv.missing-parameter:fields");
        return false;
    }
    for (std::string& f : split(fields, ',')) {
        if (allowed.count(f) > 0) {
            out.insert(std::move(f));
        } else if (readings_.unknown_fields == "reject") {
            refusal = error(33, "非法的参数", "isv.invalid-paramete:fields", "不支持的字段 " + f);
            return false;
        }
    }
    return true;
}

void QianmiSimulator::put_items(json& body, std::vector<json> rows) const {
    json list = list_json(std::move(rows));
    if (!list.is_null()) body["items"] = json{{"item", std::move(list)}};
}

SimResponse QianmiSimulator::all_list(const ParamMap& params) {
    Fields fields;
    SimResponse refusal;
    if (!requested_fields(params, kAllListFields, fields, refusal)) return refusal;
    std::int64_t page_no = 0;
    if (auto text = get(params, "page_no"); !text.empty()) {
        auto v = parse_int64(text);
        if (!v || *v < 0) return error(33, "非法的参数", "isv.invalid-paramete:page_no", text);
        page_no = *v;
    }
    std::int64_t page_size = kMaxPageSize;
    if (auto text = get(params, "page_size"); !text.empty()) {
        auto v = parse_int64(text);
        if (!v || *v < 1 || *v > kMaxPageSize) {
            return error(33, "非法的参数", "isv.invalid-paramete:page_size", text);
        }
        page_size = *v;
    }
    std::string column;
    bool descending = false;
    if (auto text = get(params, "order_by"); !text.empty()) {
        const auto colon = text.find(':');
        column = text.substr(0, colon);
        const std::string direction = colon == std::string::npos ? "asc" : text.substr(colon + 1);
        const bool known = std::find(std::begin(kOrderColumns), std::end(kOrderColumns), column) !=
                           std::end(kOrderColumns);
        if (!known || (direction != "asc" && direction != "desc")) {
            return error(33, "非法的参数", "isv.invalid-paramete:order_by", text);
        }
        descending = direction == "desc";
    }
    const std::string cid = get(params, "cid");
    const std::string brand_id = get(params, "brand_id");
    const std::string type_id = get(params, "type_id");

    // (column value, item): the value is computed once per call, not per comparison.
    std::vector<std::pair<std::int64_t, const Item*>> listed;
    listed.reserve(items_.size());
    for (const Item& item : items_) {
        if (!cid.empty() && item.cid != cid) continue;
        if (!brand_id.empty() && item.brand_id != brand_id) continue;
        if (!type_id.empty() && item.type_id != type_id) continue;
        std::int64_t key = 0;
        if (column == "num") {
            key = item.num;
        } else if (!column.empty()) {
            const std::string& text = column == "cid"        ? item.cid
                                      : column == "brand_id" ? item.brand_id
                                                             : item.type_id;
            key = parse_int64(text).value_or(0);
        }
        listed.emplace_back(key, &item);
    }
    if (!column.empty()) {
        // No column is unique: ties get no promised order, and a fresh one on every call.
        if (readings_.ties == "shuffle") std::shuffle(listed.begin(), listed.end(), rng_);
        std::stable_sort(listed.begin(), listed.end(), [&](const auto& a, const auto& b) {
            return descending ? a.first > b.first : a.first < b.first;
        });
    }
    std::vector<json> rows;
    const auto first = static_cast<std::size_t>(page_no * page_size);
    for (std::size_t i = first;
         i < listed.size() && i < first + static_cast<std::size_t>(page_size); ++i) {
        rows.push_back(item_json(*listed[i].second, &fields));
    }
    json body = {{"total_results", count_json(static_cast<std::int64_t>(listed.size()))}};
    put_items(body, std::move(rows));
    return success(kItemsAllList, std::move(body));
}

SimResponse QianmiSimulator::list_get(const ParamMap& params) {
    Fields fields;
    SimResponse refusal;
    if (!requested_fields(params, kListGetAllowed, fields, refusal)) return refusal;
    const std::string ids_text = get(params, "num_iids");
    if (ids_text.empty()) return error(32, "缺少必选参数", "isv.missing-parameter:num_iids");
    const auto ids = split(ids_text, ',');
    if (ids.size() > kMaxIdsPerBatch) {
        return error(33, "非法的参数", "isv.invalid-paramete:num_iids", "数量不能超过50个");
    }
    std::vector<json> rows;
    for (const std::string& id : ids) {
        if (const Item* item = find_item(id)) rows.push_back(item_json(*item, &fields));
    }
    json body = json::object();
    put_items(body, std::move(rows));
    return success(kItemsListGet, std::move(body));
}

SimResponse QianmiSimulator::item_get(const ParamMap& params) {
    Fields fields;
    SimResponse refusal;
    if (!requested_fields(params, kItemGetAllowed, fields, refusal)) return refusal;
    const std::string id = get(params, "num_iid");
    if (id.empty()) return error(32, "缺少必选参数", "isv.missing-parameter:num_iid");
    json body = json::object();
    if (const Item* item = find_item(id)) body["item"] = item_json(*item, &fields);
    return success(kItemGet, std::move(body));
}

bool QianmiSimulator::set_reading(std::string_view name, std::string_view value) {
    auto one_of = [&](std::string& field, std::initializer_list<std::string_view> allowed) {
        if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) return false;
        field = std::string(value);
        return true;
    };
    auto code_of = [&](int& field, std::initializer_list<int> allowed) {
        auto v = parse_int64(value);
        if (!v || std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) return false;
        field = static_cast<int>(*v);
        return true;
    };
    auto flag = [&](bool& field) {
        if (value != "0" && value != "1") return false;
        field = value == "1";
        return true;
    };
    Readings& r = readings_;
    if (name == "response_key") return one_of(r.response_key, {"named", "full", "other"});
    if (name == "error_shape") return one_of(r.error_shape, {"rop", "wrapped"});
    if (name == "sub_errors") return one_of(r.sub_errors, {"array", "wrapped"});
    if (name == "token_code") return code_of(r.token_code, {20, 21});
    if (name == "timestamp_code") return code_of(r.timestamp_code, {33, 38});
    if (name == "millis_timestamp") return flag(r.millis_timestamp);
    if (name == "scalars") return one_of(r.scalars, {"mixed", "string", "number"});
    if (name == "unknown_fields") return one_of(r.unknown_fields, {"ignore", "reject"});
    if (name == "lone_object") return flag(r.lone_object);
    if (name == "omit_empty_lists") return flag(r.omit_empty_lists);
    if (name == "oauth_form") return one_of(r.oauth_form, {"data", "status"});
    if (name == "quota_code") return code_of(r.quota_code, {34, 35, 36, 37});
    if (name == "ties") return one_of(r.ties, {"shuffle", "stable"});
    if (name == "old_refresh") return one_of(r.old_refresh, {"dies", "until_used"});
    return false;
}

json QianmiSimulator::readings_json() const {
    const Readings& r = readings_;
    return json{{"response_key", r.response_key},
                {"error_shape", r.error_shape},
                {"sub_errors", r.sub_errors},
                {"token_code", r.token_code},
                {"timestamp_code", r.timestamp_code},
                {"millis_timestamp", r.millis_timestamp},
                {"scalars", r.scalars},
                {"unknown_fields", r.unknown_fields},
                {"lone_object", r.lone_object},
                {"omit_empty_lists", r.omit_empty_lists},
                {"oauth_form", r.oauth_form},
                {"quota_code", r.quota_code},
                {"ties", r.ties},
                {"old_refresh", r.old_refresh}};
}

json QianmiSimulator::stats_json() const {
    return json{{"calls", calls_}, {"errors", errors_}, {"refreshes", refreshes_}};
}

SimResponse QianmiSimulator::control(const SimRequest& request) {
    const std::string& path = request.path;
    if (path == "/__sim/qianmi/stats" && request.method == "GET") return json_answer(stats_json());
    if (path == "/__sim/qianmi/tokens" && request.method == "GET") {
        return json_answer(json{{"access_token", access_token_},
                                {"refresh_token", refresh_token_},
                                {"issued_at", format_utc_iso(token_issued_)},
                                {"revoked", revoked_},
                                {"refreshes", refreshes_}});
    }
    if (path == "/__sim/qianmi/revoke" && request.method == "POST") {
        revoke_access_token();
        return json_answer(json{{"revoked", true}});
    }
    if (path == "/__sim/qianmi/readings" && (request.method == "GET" || request.method == "POST")) {
        const Readings before = readings_;
        for (const auto& [name, value] : request.query) {
            if (!set_reading(name, value)) {
                readings_ = before;  // all or nothing
                return json_answer(
                    json{{"error", "unknown reading or value: " + name + "=" + value}}, 400);
            }
        }
        return json_answer(readings_json());
    }
    const bool touch = path == "/__sim/qianmi/touch";
    if ((touch || path == "/__sim/qianmi/delete") && request.method == "POST") {
        const std::string id = request.query_param("num_iid");
        const bool done = touch ? touch_item(id) : delete_item(id);
        if (!done) return json_answer(json{{"error", "no item with num_iid '" + id + "'"}}, 404);
        return json_answer(json{{touch ? "touched" : "deleted", id}});
    }
    return SimulatedPlatform::control(request);
}

}  // namespace csync::qianmi
