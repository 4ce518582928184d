#include "wshoto/simulator.hpp"

#include <stdexcept>
#include <utility>

#include "core/json_util.hpp"
#include "wshoto/simulator_support.hpp"

namespace csync::wshoto {
namespace {

using nlohmann::json;

constexpr std::int64_t kTypeIds[] = {3, 7, 12};
constexpr std::int64_t kDefaultTtl = 7200;
constexpr std::int64_t kCatalogueStart = 1'654'000'000;

SimResponse ok(json data, bool with_sub_code = true) {
    json body{{"code", 0}, {"msg", "请求成功"}, {"data", std::move(data)}};
    if (with_sub_code) body["sub_code"] = "00000";
    return json_answer(std::move(body));
}

SimResponse refusal(int code, std::string msg) {
    return json_answer(json{{"code", code}, {"msg", std::move(msg)}, {"data", nullptr}});
}

SimResponse business_refusal(std::string sub_code, std::string msg) {
    return json_answer(json{{"code", 0},
                            {"msg", std::move(msg)},
                            {"data", nullptr},
                            {"sub_code", std::move(sub_code)}});
}

// The category tree of one type: two roots with two children each (ids type*100 + n).
json category_tree(std::int64_t type) {
    json roots = json::array();
    for (int r = 1; r <= 2; ++r) {
        const std::int64_t root_id = type * 100 + r * 10;
        json children = json::array();
        for (int c = 1; c <= 2; ++c) {
            children.push_back(
                json{{"product_category_id", root_id + c},
                     {"product_category_name", "子分类 " + std::to_string(root_id + c)},
                     {"product_type_id", type},
                     {"parent_id", root_id},
                     {"children_category_list", json::array()}});
        }
        roots.push_back(json{{"product_category_id", root_id},
                             {"product_category_name", "分类 " + std::to_string(root_id)},
                             {"product_type_id", type},
                             {"parent_id", type},
                             {"children_category_list", std::move(children)}});
    }
    return roots;
}

std::optional<std::int64_t> int_field(const json& body, const char* key) {
    return body.is_object() ? json_int(body, key) : std::nullopt;
}

}  // namespace

WshotoSimulator::WshotoSimulator(SimOptions options) : options_(std::move(options)) {
    auto credential = [&](const char* name) {
        auto it = options_.credentials.find(name);
        return it == options_.credentials.end() ? std::string() : it->second;
    };
    mall_ = std::make_unique<SimMall>(
        options_.seed, std::max<std::size_t>(40, options_.products / 10),
        std::max<std::size_t>(30, options_.products / 20), [this] { return now_unix(); });
    appid_ = credential("appid");
    app_secret_ = credential("app_secret");
    if (appid_.empty() || app_secret_.empty()) {
        throw std::invalid_argument(
            "the wshoto simulator needs --cred appid=A and --cred app_secret=S");
    }
    for (const auto& [name, value] : options_.readings) {
        if (!set_reading(name, value)) {
            throw std::invalid_argument("wshoto simulator: unknown reading or value " + name + "=" +
                                        value);
        }
    }
    rng_.seed(options_.seed);
    for (std::size_t i = 0; i < options_.products; ++i) {
        const std::int64_t id = next_id_;
        next_id_ += 1 + static_cast<std::int64_t>(rng_() % 3);  // ids with gaps
        products_[id] = make_product(id);
    }
}

std::int64_t WshotoSimulator::now_unix() const {
    return std::chrono::duration_cast<std::chrono::seconds>(options_.now().time_since_epoch())
        .count();
}

json WshotoSimulator::make_product(std::int64_t id) {
    const std::int64_t type = kTypeIds[static_cast<std::size_t>(id) % std::size(kTypeIds)];
    const std::int64_t category = type * 100 + 10 * (1 + static_cast<std::int64_t>(rng_() % 2)) +
                                  static_cast<std::int64_t>(rng_() % 3);
    return json{{"product_library_id", id},
                {"product_type_id", type},
                {"product_category_id", category},
                {"name", "产品 " + std::to_string(id)},
                {"product_code", "P" + std::to_string(id)},
                {"choose_level", 1 + static_cast<int>(rng_() % 2)},
                {"product_url", "https://example.invalid/p/" + std::to_string(id)},
                {"product_status", static_cast<int>(rng_() % 4)},
                {"publish_status", 0},
                {"start_time", 0},
                {"end_time", 0},
                {"valid_time", kCatalogueStart + id},
                {"invalid_time", 0},
                {"creator", "user-1"},
                {"create_time", kCatalogueStart + id},
                {"content_url", "https://example.invalid/c/" + std::to_string(id)}};
}

SimResponse WshotoSimulator::handle(const SimRequest& request) {
    ++calls_[request.path];
    if (request.path == "/openapi/access_token") return token_call(request);
    const std::string token = request.query_param("access_token");
    if (token.empty() || token != token_ || revoked_ ||
        now_unix() >= token_created_ + (options_.token_ttl.count() > 0 ? options_.token_ttl.count()
                                                                       : kDefaultTtl)) {
        return refusal(readings_.token_code, "access_token无效或已过期");
    }
    if (call_budget_.exceeded(options_.now(), options_.rate_limit_per_minute)) {
        return rate_limit_response();
    }
    const std::string_view path = request.path;
    // Documented as GET with a JSON body.
    const bool get_allowed = path == "/openapi/mall/order/list";
    if (request.method != "POST" && !get_allowed) {
        return json_answer(json{{"error", "method not allowed"}}, 405);
    }
    auto body = parse_json_exact(request.body.empty() ? "{}" : request.body);
    if (!body.ok() || !body->is_object()) return business_refusal("10001", "参数错误: body");
    if (get_allowed) return mall_->order_list(request, *body);
    if (path == "/openapi/valetorder/goods/list") return mall_->goods_list(*body);
    if (path == "/openapi/product/library/query_product_type_list") return types_call();
    if (path == "/openapi/product/library/query_product_category_info") {
        return categories_call(*body);
    }
    if (path == "/openapi/product/library/page_query_product_library_info_list") {
        return list_call(*body);
    }
    if (path == "/openapi/product/library/query_product_library_info") return detail_call(*body);
    return json_answer(json{{"error", "unknown path"}}, 404);
}

SimResponse WshotoSimulator::token_call(const SimRequest& request) {
    ++token_calls_;
    if (token_budget_.exceeded(options_.now(), readings_.token_calls_per_minute)) {
        return refusal(2, "调用频率拦截");
    }
    if (request.query_param("appid") != appid_ ||
        request.query_param("app_secret") != app_secret_) {
        return refusal(1, "appid或app_secret错误");
    }
    const std::int64_t ttl =
        options_.token_ttl.count() > 0 ? options_.token_ttl.count() : kDefaultTtl;
    const std::int64_t now = now_unix();
    if (revoked_ || now >= token_created_ + ttl) {
        ++tokens_issued_;
        token_ = "wst-" + std::to_string(tokens_issued_) + "-" + std::to_string(rng_() % 1000000);
        token_created_ = now;
        revoked_ = false;
    }
    return json_answer(json{{"code", 0},
                            {"msg", "ok"},
                            {"data",
                             {{"access_token", token_},
                              {"expires_in", token_created_ + ttl - token_created_},
                              {"create_at", token_created_}}}});
}

SimResponse WshotoSimulator::types_call() const {
    json infos = json::array();
    for (std::int64_t t : kTypeIds) {
        infos.push_back(json{{"product_type_id", t},
                             {"product_type_name", "类型 " + std::to_string(t)},
                             {"creator", "user-1"},
                             {"create_time", kCatalogueStart}});
    }
    return ok(json{{"product_type_infos", std::move(infos)}});
}

SimResponse WshotoSimulator::categories_call(const json& body) const {
    auto parent = int_field(body, "parent_id");
    if (!parent) return business_refusal("10001", "参数错误: parent_id");
    for (std::int64_t t : kTypeIds) {
        if (*parent == t) return ok(json{{"product_category_infos", category_tree(t)}});
    }
    return ok(json{{"product_category_infos", json::array()}});
}

SimResponse WshotoSimulator::list_call(const json& body) const {
    auto type = int_field(body, "product_type_id");
    const json cursor_value = body.value("cursor", json());
    if (!type || !cursor_value.is_string()) {
        return business_refusal("10001", "参数错误: product_type_id/cursor");
    }
    const std::string cursor = cursor_value.get<std::string>();
    auto after = parse_int64(cursor);
    if (cursor.size() > 32 || !after) return business_refusal("10001", "参数错误: cursor");
    std::int64_t size = int_field(body, "page_size").value_or(20);
    if (size < 1) size = 20;
    if (size > 100) {
        if (readings_.page_limit == "reject") return business_refusal("10002", "page_size超限");
        size = 100;
    }
    const std::int64_t status = int_field(body, "product_status").value_or(-1);
    std::int64_t total = 0;
    json records = json::array();
    std::int64_t max_id = *after;
    const std::int64_t from = readings_.cursor == "stuck" ? 0 : *after;
    for (const auto& [id, p] : products_) {
        if (p["product_type_id"] != *type) continue;
        if (status != -1 && p["product_status"] != status) continue;
        ++total;
        if (id <= from || static_cast<std::int64_t>(records.size()) >= size) continue;
        records.push_back(p);
        max_id = std::max(max_id, id);
    }
    const std::string max_cursor = readings_.cursor == "stuck" ? cursor : std::to_string(max_id);
    json data{{"total", total}};
    if (readings_.cursor_in != "data") {
        for (json& r : records) r["max_cursor"] = max_cursor;
    }
    if (readings_.cursor_in != "record") data["max_cursor"] = max_cursor;
    data["records"] = std::move(records);
    return ok(std::move(data));
}

SimResponse WshotoSimulator::detail_call(const json& body) const {
    auto id = int_field(body, "product_library_id");
    if (!id) return business_refusal("10001", "参数错误: product_library_id");
    auto it = products_.find(*id);
    if (it == products_.end()) {
        if (readings_.gone == "sub_code") return business_refusal("20001", "产品不存在");
        return ok(nullptr);
    }
    json product = it->second;
    product["tag_ids"] = json::array();
    product["description"] = "";
    return ok(std::move(product));
}

std::string WshotoSimulator::truth_ndjson() {
    std::string out;
    for (const auto& [id, p] : products_) out += p.dump() + "\n";
    return out;
}

std::size_t WshotoSimulator::mutate(std::size_t count) {
    std::size_t changed = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t kind = mutations_++ % 3;
        if (kind == 0 || products_.empty()) {
            const std::int64_t id = next_id_++;
            products_[id] = make_product(id);
            ++changed;
            continue;
        }
        auto it = products_.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(rng_() % products_.size()));
        if (kind == 1) {
            touch_product(it->first);
        } else {
            products_.erase(it);
        }
        ++changed;
    }
    return changed + mall_->mutate(count);
}

bool WshotoSimulator::touch_product(std::int64_t id) {
    auto it = products_.find(id);
    if (it == products_.end()) return false;
    it->second["name"] = "产品 " + std::to_string(id) + " v" + std::to_string(++edits_);
    it->second["product_status"] = (it->second["product_status"].get<int>() + 1) % 4;
    return true;
}

bool WshotoSimulator::delete_product(std::int64_t id) { return products_.erase(id) > 0; }

bool WshotoSimulator::revoke_token() {
    revoked_ = true;
    return true;
}

SimResponse WshotoSimulator::rate_limit_response() const { return refusal(-1, "系统繁忙"); }

bool WshotoSimulator::set_reading(std::string_view name, std::string_view value) {
    auto one_of = [&](std::string& field, std::initializer_list<std::string_view> allowed) {
        if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) return false;
        field = std::string(value);
        return true;
    };
    Readings& r = readings_;
    if (name == "cursor_in") return one_of(r.cursor_in, {"record", "data", "both"});
    if (name == "page_limit") return one_of(r.page_limit, {"clamp", "reject"});
    if (name == "gone") return one_of(r.gone, {"empty", "sub_code"});
    if (name == "cursor") return one_of(r.cursor, {"advance", "stuck"});
    if (name == "token_code") {
        auto v = parse_int64(value);
        if (!v || (*v != 10001 && *v != 10010 && *v != 10011)) return false;
        r.token_code = static_cast<int>(*v);
        return true;
    }
    if (name == "token_calls_per_minute") {
        auto v = parse_int64(value);
        if (!v || *v < 0) return false;
        r.token_calls_per_minute = static_cast<int>(*v);
        return true;
    }
    return mall_->set_reading(name, value);
}

json WshotoSimulator::readings_json() const {
    const Readings& r = readings_;
    json out{{"cursor_in", r.cursor_in}, {"page_limit", r.page_limit},
             {"gone", r.gone},           {"token_code", r.token_code},
             {"cursor", r.cursor},       {"token_calls_per_minute", r.token_calls_per_minute}};
    out.update(mall_->readings_json());
    return out;
}

SimResponse WshotoSimulator::control(const SimRequest& request) {
    const std::string& path = request.path;
    if (path == "/__sim/wshoto/revoke" && request.method == "POST") {
        revoke_token();
        return json_answer(json{{"revoked", true}});
    }
    if (path == "/__sim/wshoto/stats" && request.method == "GET") {
        return json_answer(json{{"calls", calls_},
                                {"token_calls", token_calls_},
                                {"tokens_issued", tokens_issued_},
                                {"access_token", token_}});
    }
    if (path == "/__sim/wshoto/readings" && (request.method == "GET" || request.method == "POST")) {
        const Readings before = readings_;
        const json mall_before = mall_->readings_json();
        for (const auto& [name, value] : request.query) {
            if (!set_reading(name, value)) {
                readings_ = before;  // all or nothing
                for (const auto& [n, v] : mall_before.items()) {
                    mall_->set_reading(n, v.get<std::string>());
                }
                return json_answer(
                    json{{"error", "unknown reading or value: " + name + "=" + value}}, 400);
            }
        }
        return json_answer(readings_json());
    }
    const bool touch = path == "/__sim/wshoto/touch";
    if ((touch || path == "/__sim/wshoto/delete") && request.method == "POST") {
        auto id = parse_int64(request.query_param("id"));
        const bool done = id && (touch ? touch_product(*id) : delete_product(*id));
        if (!done) return json_answer(json{{"error", "no product with that id"}}, 404);
        return json_answer(json{{touch ? "touched" : "deleted", *id}});
    }
    if (auto mall = mall_->control(request)) return *mall;
    return SimulatedPlatform::control(request);
}

}  // namespace csync::wshoto
