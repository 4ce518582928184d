#include "wshoto/simulator_mall.hpp"

#include <algorithm>
#include <vector>

#include "core/json_util.hpp"
#include "wshoto/orders.hpp"
#include "wshoto/simulator_support.hpp"

namespace csync::wshoto {
namespace {

using nlohmann::json;

constexpr std::int64_t kDay = 24 * 3600;
constexpr std::int64_t kMillisFrom = 100'000'000'000;

// The mall pages show no sub_code.
SimResponse mall_ok(json data) {
    return json_answer(json{{"code", 0}, {"msg", "ok"}, {"data", std::move(data)}});
}

SimResponse param_error(const std::string& what) {
    return json_answer(json{{"code", 400}, {"msg", "参数错误: " + what}, {"data", nullptr}});
}

std::optional<std::int64_t> int_field(const json& body, const char* key) {
    return body.is_object() ? json_int(body, key) : std::nullopt;
}

}  // namespace

std::int64_t SimMall::SimOrder::goods_fen() const {
    std::int64_t sum = 0;
    for (const Line& l : lines) sum += l.qty * l.price_fen;
    return sum;
}

SimMall::SimMall(std::uint64_t seed, std::size_t orders, std::size_t goods,
                 std::function<std::int64_t()> now_unix)
    : rng_(seed ^ 0x6d616c6cULL),
      now_(std::move(now_unix)),
      zone_(TimeZone::from_name("Asia/Shanghai").value()) {
    const std::int64_t now = now_();
    for (std::size_t i = 0; i < orders; ++i) {
        const std::int64_t created =
            now - 20 * kDay + static_cast<std::int64_t>(rng_() % (19 * kDay));
        const std::string code = create_order(created);
        // Some move on a few times, each some hours later (before now: a client starting now
        // has them all in the past).
        const int moves = static_cast<int>(rng_() % 4);
        std::int64_t at = created;
        for (int m = 0; m < moves; ++m) {
            at = std::min(now - 1, at + 3600 + static_cast<std::int64_t>(rng_() % (2 * kDay)));
            if (!advance(code, at)) break;
        }
    }
    for (std::size_t i = 0; i < goods; ++i) add_goods();
}

std::string SimMall::create_order(std::int64_t at) {
    SimOrder o;
    o.code = "WS" + std::to_string(100000 + next_order_++);
    o.created = at;
    o.updated = at;
    o.freight_fen = static_cast<std::int64_t>(rng_() % 3) * 500;
    const int lines = 1 + static_cast<int>(rng_() % 3);
    for (int i = 0; i < lines; ++i) {
        SimOrder::Line l;
        l.id = next_line_++;
        const std::int64_t sku = 1 + static_cast<std::int64_t>(rng_() % 50);
        l.sku = "SKU-" + std::to_string(sku);
        l.name = "商品 " + std::to_string(sku);
        l.qty = 1 + static_cast<std::int64_t>(rng_() % 3);
        l.price_fen = 99 + static_cast<std::int64_t>(rng_() % 20000);
        o.lines.push_back(std::move(l));
    }
    const std::string code = o.code;
    orders_[code] = std::move(o);
    return code;
}

bool SimMall::advance(const std::string& code, std::int64_t at) {
    auto it = orders_.find(code);
    if (it == orders_.end()) return false;
    SimOrder& o = it->second;
    switch (o.status) {
        case 1:
            if (rng_() % 4 == 0) {
                o.status = 5;
                o.closed = at;
            } else {
                o.status = 2;
                o.paid = at;
            }
            break;
        case 2:
            o.status = 3;
            o.sent = at;
            break;
        case 3:
            o.status = 4;
            o.finished = at;
            break;
        default:
            return false;  // completed or closed
    }
    o.updated = at;
    return true;
}

void SimMall::add_goods() {
    SimGoods g;
    g.id = next_goods_++;
    g.name = "代客商品 " + std::to_string(g.id);
    g.stock = static_cast<std::int64_t>(rng_() % 500);
    g.price_fen = 100 + static_cast<std::int64_t>(rng_() % 100000);
    g.up_status = g.stock == 0 ? 11 : (rng_() % 5 == 0 ? 0 : 1);
    goods_[g.id] = g;
}

bool SimMall::delete_goods(std::int64_t id) { return goods_.erase(id) > 0; }

std::size_t SimMall::mutate(std::size_t count) {
    std::size_t changed = 0;
    const std::int64_t now = now_();
    for (std::size_t i = 0; i < count; ++i) {
        switch (mutations_++ % 4) {
            case 0: {  // an open order moves on
                std::vector<std::string> open;
                for (const auto& [code, o] : orders_) {
                    if (o.status < 4) open.push_back(code);
                }
                if (!open.empty() && advance(open[rng_() % open.size()], now)) ++changed;
                break;
            }
            case 1:
                create_order(now);
                ++changed;
                break;
            case 2:
                if (!goods_.empty()) {
                    auto it = goods_.begin();
                    std::advance(it, static_cast<std::ptrdiff_t>(rng_() % goods_.size()));
                    it->second.stock = static_cast<std::int64_t>(rng_() % 500);
                    ++changed;
                }
                break;
            default:
                if (mutations_ % 8 == 0 && !goods_.empty()) {
                    auto it = goods_.begin();
                    std::advance(it, static_cast<std::ptrdiff_t>(rng_() % goods_.size()));
                    goods_.erase(it);
                } else {
                    add_goods();
                }
                ++changed;
                break;
        }
    }
    return changed;
}

json SimMall::time_value(std::int64_t unix) const {
    if (unix == 0) return nullptr;
    const TimeFormat format = readings_.time_format == "seconds"  ? TimeFormat::seconds
                              : readings_.time_format == "millis" ? TimeFormat::millis
                                                                  : TimeFormat::text;
    return wire_time(UtcTime{std::chrono::seconds{unix}}, format, zone_);
}

std::optional<std::int64_t> SimMall::read_time(const json& value) const {
    // Strictly the reading's format: a client sending another one is refused.
    if (readings_.time_format == "text") {
        if (!value.is_string()) return std::nullopt;
    } else {
        if (!value.is_number_integer()) return std::nullopt;
        const bool millis = value.get<std::int64_t>() >= kMillisFrom;
        if (millis != (readings_.time_format == "millis")) return std::nullopt;
    }
    auto t = time_field(json{{"t", value}}, "t", zone_);
    if (!t) return std::nullopt;
    return t->time_since_epoch().count();
}

json SimMall::money(std::int64_t fen, const std::string& unit) const {
    if (unit == "fen") return fen;
    return static_cast<double>(fen) / 100.0;
}

json SimMall::render(const SimOrder& o) const {
    const std::string& unit = readings_.order_unit;
    json lines = json::array();
    for (const auto& l : o.lines) {
        lines.push_back(json{{"order_detail_id", l.id},
                             {"sku_id", l.sku},
                             {"spu_id", "spu-" + l.sku},
                             {"spec_desc", ""},
                             {"spu_no", "SPU-" + l.sku},
                             {"sku_no", l.sku},
                             {"goods_name", l.name},
                             {"goods_num", l.qty},
                             {"total_price", money(l.qty * l.price_fen, unit)},
                             {"goods_price", money(l.price_fen, unit)},
                             {"pay_price", money(l.qty * l.price_fen, unit)},
                             {"cid", 1}});
    }
    return json{{"order_code", o.code},
                {"parent_order_code", ""},
                {"tenant_id", "tenant-1"},
                {"type", 1},
                {"user_id", "user-1"},
                {"customer_id", "cust-" + o.code},
                {"status", o.status},
                {"pay_status", o.paid != 0 ? 1 : 0},
                {"total_price", money(o.goods_fen(), unit)},
                {"coupon_price", money(0, unit)},
                {"freight_price", money(o.freight_fen, unit)},
                {"pay_price", money(o.goods_fen() + o.freight_fen, unit)},
                {"detail_list", std::move(lines)},
                {"express_no", o.sent != 0 ? "SF" + o.code : ""},
                {"express_name", o.sent != 0 ? "顺丰" : ""},
                {"express_type", 1},
                {"create_time", time_value(o.created)},
                {"update_time", time_value(o.updated)},
                {"pay_time", time_value(o.paid)},
                {"finish_time", time_value(o.finished)},
                {"send_time", time_value(o.sent)},
                {"close_time", time_value(o.closed)},
                {"source", 1},
                {"refund_status", 0}};
}

SimResponse SimMall::order_list(const SimRequest& request, const json& body) const {
    if (request.method == "GET" && readings_.get_body_refused) {
        return json_answer(json{{"error", "method not allowed"}}, 405);
    }
    if (request.method != "GET" && request.method != "POST") {
        return json_answer(json{{"error", "method not allowed"}}, 405);
    }
    const std::int64_t type = int_field(body, "type").value_or(1);
    if (type < 1 || type > 3) return param_error("type");
    if (!body.contains("start_time")) return param_error("start_time");
    const auto start = read_time(body["start_time"]);
    if (!start) return param_error("start_time");
    std::int64_t end = now_();
    if (body.contains("end_time")) {
        auto e = read_time(body["end_time"]);
        if (!e) return param_error("end_time");
        end = *e;
    }
    std::int64_t size = int_field(body, "page_size").value_or(20);
    if (size < 1) size = 20;
    const std::string& limit = readings_.order_page_limit;
    if (limit == "reject100" && size > 100) return param_error("page_size 超过 100");
    size = std::min<std::int64_t>(size, limit == "clamp50" ? 50 : 100);
    const std::int64_t index =
        std::max<std::int64_t>(1, int_field(body, "current_index").value_or(1));

    std::vector<const SimOrder*> hits;
    for (const auto& [code, o] : orders_) {
        const std::int64_t t = type == 3 ? o.updated : type == 2 ? o.finished : o.created;
        if (type == 2 && t == 0) continue;
        const bool after = readings_.start_inclusive ? t >= *start : t > *start;
        const bool before = readings_.end_inclusive ? t <= end : t < end;
        if (after && before) hits.push_back(&o);
    }
    std::sort(hits.begin(), hits.end(), [](const SimOrder* a, const SimOrder* b) {
        return a->updated != b->updated ? a->updated > b->updated : a->code < b->code;
    });
    json records = json::array();
    const auto from = static_cast<std::size_t>((index - 1) * size);
    for (std::size_t i = from; i < hits.size() && i < from + static_cast<std::size_t>(size); ++i) {
        records.push_back(render(*hits[i]));
    }
    return mall_ok(json{{"total", hits.size()}, {"records", std::move(records)}});
}

SimResponse SimMall::goods_list(const json& body) const {
    std::int64_t size = int_field(body, "size").value_or(20);
    if (size < 1) size = 20;
    size = std::min<std::int64_t>(size, 100);
    const std::int64_t page = std::max<std::int64_t>(1, int_field(body, "page").value_or(1));
    json records = json::array();
    std::int64_t n = 0;
    const std::int64_t from = (page - 1) * size;
    for (const auto& [id, g] : goods_) {
        if (n >= from && n < from + size) {
            records.push_back(json{{"id", id},
                                   {"goods_name", g.name},
                                   {"category_name", "默认分类"},
                                   {"stock_num", g.stock},
                                   {"sale", 0},
                                   {"price", money(g.price_fen, readings_.goods_unit)},
                                   {"up_time", time_value(now_() - kDay)},
                                   {"up_status", g.up_status},
                                   {"show_status", 1},
                                   {"alert_stock", 5},
                                   {"type", 1}});
        }
        ++n;
    }
    return mall_ok(json{{"total", goods_.size()}, {"records", std::move(records)}});
}

json SimMall::orders_truth() const {
    json out = json::array();
    for (const auto& [code, o] : orders_) {
        const auto yuan =
            money_field(json{{"p", o.goods_fen() + o.freight_fen}}, "p", MoneyUnit::fen);
        out.push_back(
            json{{"order_code", code},
                 {"status", o.status},
                 {"update_time", format_utc_iso(UtcTime{std::chrono::seconds{o.updated}})},
                 {"pay_price", yuan ? yuan->text() : ""},
                 {"lines", o.lines.size()}});
    }
    return out;
}

json SimMall::goods_truth() const {
    json out = json::array();
    for (const auto& [id, g] : goods_) {
        const auto yuan = money_field(json{{"p", g.price_fen}}, "p", MoneyUnit::fen);
        out.push_back(json{{"id", id},
                           {"stock_num", g.stock},
                           {"price", yuan ? yuan->text() : ""},
                           {"up_status", g.up_status}});
    }
    return out;
}

bool SimMall::set_reading(std::string_view name, std::string_view value) {
    auto one_of = [&](std::string& field, std::initializer_list<std::string_view> allowed) {
        if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) return false;
        field = std::string(value);
        return true;
    };
    auto flag = [&](bool& field, std::string_view yes, std::string_view no) {
        if (value != yes && value != no) return false;
        field = value == yes;
        return true;
    };
    Readings& r = readings_;
    if (name == "get_body") return flag(r.get_body_refused, "refused", "accepted");
    if (name == "time_format") return one_of(r.time_format, {"text", "seconds", "millis"});
    if (name == "order_start") return flag(r.start_inclusive, "inclusive", "exclusive");
    if (name == "order_end") return flag(r.end_inclusive, "inclusive", "exclusive");
    if (name == "order_page_limit") {
        return one_of(r.order_page_limit, {"clamp100", "clamp50", "reject100"});
    }
    if (name == "order_unit") return one_of(r.order_unit, {"yuan", "fen"});
    if (name == "goods_unit") return one_of(r.goods_unit, {"yuan", "fen"});
    return false;
}

json SimMall::readings_json() const {
    const Readings& r = readings_;
    return json{{"get_body", r.get_body_refused ? "refused" : "accepted"},
                {"time_format", r.time_format},
                {"order_start", r.start_inclusive ? "inclusive" : "exclusive"},
                {"order_end", r.end_inclusive ? "inclusive" : "exclusive"},
                {"order_page_limit", r.order_page_limit},
                {"order_unit", r.order_unit},
                {"goods_unit", r.goods_unit}};
}

std::optional<SimResponse> SimMall::control(const SimRequest& request) {
    const std::string& path = request.path;
    if (path == "/__sim/wshoto/orders" && request.method == "GET") {
        return json_answer(orders_truth());
    }
    if (path == "/__sim/wshoto/goods" && request.method == "GET") return json_answer(goods_truth());
    if (path == "/__sim/wshoto/orders/advance" && request.method == "POST") {
        const std::string at_text = request.query_param("at");
        const auto at =
            at_text.empty() ? std::optional<std::int64_t>(now_()) : parse_int64(at_text);
        const std::string code = request.query_param("code");
        if (!at || !advance(code, *at)) {
            return json_answer(json{{"error", "no open order with that code (or a bad `at`)"}},
                               404);
        }
        return json_answer(json{{"advanced", code}, {"status", orders_.at(code).status}});
    }
    if (path == "/__sim/wshoto/orders/create" && request.method == "POST") {
        auto count = count_param(request, "count", 1);
        const std::string at_text = request.query_param("at");
        const auto at =
            at_text.empty() ? std::optional<std::int64_t>(now_()) : parse_int64(at_text);
        if (!count || !at)
            return json_answer(json{{"error", "count and at are whole numbers"}}, 400);
        json created = json::array();
        for (std::size_t i = 0; i < *count; ++i) created.push_back(create_order(*at));
        return json_answer(json{{"created", std::move(created)}});
    }
    if (path == "/__sim/wshoto/goods/delete" && request.method == "POST") {
        auto id = parse_int64(request.query_param("id"));
        if (!id || !delete_goods(*id))
            return json_answer(json{{"error", "no goods with that id"}}, 404);
        return json_answer(json{{"deleted", *id}});
    }
    return std::nullopt;
}

}  // namespace csync::wshoto
