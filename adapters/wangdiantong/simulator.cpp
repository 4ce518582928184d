#include "wangdiantong/simulator.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <utility>

#include "core/json_util.hpp"
#include "csync/domain/time.hpp"

namespace csync::wangdiantong {
namespace {

using nlohmann::json;

// 2025-06-01 00:00:00 +08:00 in 2012-epoch seconds: the generated history ends here.
constexpr std::int64_t kHistoryEnd = 1748707200 - kEpochOffset;
constexpr std::int64_t kHistorySpan = 30 * 24 * 3600;

std::string decimal_e4(std::int64_t v) {
    const bool neg = v < 0;
    const std::uint64_t a =
        neg ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%llu.%04llu", neg ? "-" : "",
                  static_cast<unsigned long long>(a / 10000),
                  static_cast<unsigned long long>(a % 10000));
    return buf;
}

// An argument that is an integer, as a number or as numeric text (the doc's ["500","0"]).
std::optional<std::int64_t> int_arg(const json& v) {
    json holder = json::object();
    holder["v"] = v;
    if (v.is_string()) return parse_int64(v.get_ref<const std::string&>());
    if (!v.is_number_integer()) return std::nullopt;
    return json_int(holder, "v");
}

SimResponse control_json(int status, const json& body) {
    SimResponse r;
    r.status = status;
    r.content_type = "application/json";
    r.body = body.dump();
    return r;
}

}  // namespace

WangdiantongSimulator::WangdiantongSimulator(SimOptions options)
    : options_(std::move(options)), rng_(options_.seed * 0x9E3779B97F4A7C15ULL + 0x5744'5431ULL) {
    auto creds = credentials_from(options_.credentials);
    if (!creds.ok()) {
        throw std::runtime_error(creds.error().message +
                                 " (start it with --sid, --key and "
                                 "--appsecret secret:salt)");
    }
    creds_ = std::move(*creds);
    for (const auto& [name, value] : options_.readings) {
        if (auto bad = apply_reading(name, value)) throw std::runtime_error(*bad);
    }
    auto zone = TimeZone::from_name(options_.timezone);
    if (!zone.ok()) throw std::runtime_error(zone.error().message);
    zone_ = *zone;
    recs_.reserve(options_.products);
    std::int64_t rec_id = 170000;
    for (std::size_t i = 0; i < options_.products; ++i) {
        Rec r;
        rec_id += 1 + static_cast<std::int64_t>(draw() % 3);
        r.rec_id = rec_id;
        r.goods_id = 50000 + static_cast<std::int64_t>(i / 3);
        r.spec_id = 90000 + static_cast<std::int64_t>(i);
        char code[32];
        std::snprintf(code, sizeof code, "WDT%06zu", i);
        r.match_code = code;
        r.outer_id = "G" + std::to_string(r.goods_id);
        r.spec_outer_id = r.match_code;
        r.stock_e4 = static_cast<std::int64_t>(draw() % 500) * 10000;
        if (draw() % 10 == 0) r.stock_e4 += static_cast<std::int64_t>(draw() % 4) * 2500;
        r.stock_num_e4 = r.stock_e4 + static_cast<std::int64_t>(draw() % 20) * 10000;
        r.change_count = 1 + static_cast<std::int64_t>(draw() % 50);
        r.modified = kHistoryEnd - static_cast<std::int64_t>(draw() % kHistorySpan);
        r.rule_id = 1 + static_cast<std::int64_t>(draw() % 3);
        r.warehouses = r.rule_id == 1 ? "1" : (r.rule_id == 2 ? "1,2" : "2,3");
        recs_.push_back(std::move(r));
    }
    // Every id starts waiting: the shop was just connected.
    for (Rec& r : recs_) set_waiting(r, r.modified);
}

std::int64_t WangdiantongSimulator::now_unix() const {
    return std::chrono::duration_cast<std::chrono::seconds>(options_.now().time_since_epoch())
               .count() +
           clock_offset_;
}

std::string WangdiantongSimulator::local_time_text(std::int64_t wdt_seconds) const {
    const UtcTime utc{std::chrono::seconds{wdt_seconds + kEpochOffset}};
    const LocalTime local = zone_->to_local(utc);
    using namespace std::chrono;
    const auto day = floor<days>(local.time_since_epoch());
    const year_month_day ymd{sys_days{day}};
    const hh_mm_ss hms{local.time_since_epoch() - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

std::string WangdiantongSimulator::record_json(const Rec& r) const {
    ObjectWriter w;
    w.num("rec_id", r.rec_id)
        .num("shop_id", 12)
        .num("platform_id", 127)
        .num("sub_platform_id", 0)
        .str("goods_id", std::to_string(r.goods_id))
        .str("spec_id", std::to_string(r.spec_id))
        .str("outer_id", r.outer_id)
        .str("spec_outer_id", r.spec_outer_id)
        .str("match_code", r.match_code)
        .num("match_target_type", 1)
        .num("match_target_id", r.spec_id)
        .raw("syn_stock", decimal_e4(r.stock_e4))
        .num("stock_change_count", r.change_count)
        .raw("stock_num", decimal_e4(r.stock_num_e4))
        .raw("last_syn_num", decimal_e4(r.last_syn_e4))
        .str("last_syn_time", r.last_syn_time ? local_time_text(r.last_syn_time) : "")
        .num("status", 1)
        .num("is_auto_listing", 0)
        .num("is_auto_delisting", 0)
        .num("mask", 0)
        .num("stock_syn_rule_id", r.rule_id)
        .str("stock_syn_rule_no", r.rule_id == 1 ? "默认策略" : "策略-" + std::to_string(r.rule_id))
        .str("stock_syn_warehouses", r.warehouses)
        .num("stock_syn_mask", 0)
        .raw("stock_syn_percent", "100.0000")
        .raw("stock_syn_plus", "0.0000")
        .raw("stock_syn_min", "0.0000")
        .raw("stock_syn_max", "0.0000")
        .str("list_time", "")
        .str("delist_time", "")
        .str("modified", local_time_text(r.modified));
    return w.finish();
}

const WangdiantongSimulator::Rec* WangdiantongSimulator::find(std::int64_t rec_id) const {
    auto it = std::lower_bound(recs_.begin(), recs_.end(), rec_id,
                               [](const Rec& r, std::int64_t id) { return r.rec_id < id; });
    return it == recs_.end() || it->rec_id != rec_id ? nullptr : &*it;
}

WangdiantongSimulator::Rec* WangdiantongSimulator::find(std::int64_t rec_id) {
    return const_cast<Rec*>(std::as_const(*this).find(rec_id));
}

void WangdiantongSimulator::set_waiting(Rec& r, std::int64_t disable_until) {
    if (r.waiting) {
        // Re-timed in place: the same node moves, nothing is allocated.
        auto node = queue_.extract(r.queued);
        node.value() = {disable_until, r.rec_id};
        r.queued = queue_.insert(std::move(node)).position;
    } else {
        r.queued = queue_.insert({disable_until, r.rec_id}).first;
    }
    r.waiting = true;
    r.disable_syn_until = disable_until;
    r.leased_at = -1;
}

void WangdiantongSimulator::clear_waiting(Rec& r) {
    if (!r.waiting) return;
    queue_.erase(r.queued);
    r.waiting = false;
}

void WangdiantongSimulator::bump_stock(Rec& r) {
    const std::int64_t delta = (1 + static_cast<std::int64_t>(draw() % 20)) * 10000;
    if (draw() % 2 == 0 && r.stock_e4 >= delta)
        r.stock_e4 -= delta;
    else
        r.stock_e4 += delta;
    r.stock_num_e4 = r.stock_e4 + static_cast<std::int64_t>(draw() % 20) * 10000;
    ++r.change_count;
    r.modified = now_wdt();
    set_waiting(r, r.modified);
}

std::size_t WangdiantongSimulator::waiting() const { return queue_.size(); }

std::vector<std::int64_t> WangdiantongSimulator::rec_ids() const {
    std::vector<std::int64_t> out;
    out.reserve(recs_.size());
    for (const Rec& r : recs_) out.push_back(r.rec_id);
    return out;
}

void WangdiantongSimulator::set_lease_seconds(std::int64_t s) {
    lease_seconds_ = s;
    const std::int64_t now = now_wdt();
    for (Rec& r : recs_) {
        if (r.waiting && r.leased_at >= 0 && r.disable_syn_until > now) {
            const std::int64_t listed_at = r.leased_at;
            set_waiting(r, listed_at + s);
            r.leased_at = listed_at;
        }
    }
}

void WangdiantongSimulator::set_calc_fail(std::int64_t rec_id, bool on) {
    if (Rec* r = find(rec_id)) r->calc_fail = on;
}

bool WangdiantongSimulator::change_stock(std::int64_t rec_id) {
    Rec* r = find(rec_id);
    if (!r) return false;
    bump_stock(*r);
    return true;
}

std::optional<std::int64_t> WangdiantongSimulator::stock_change_count(std::int64_t rec_id) const {
    const Rec* r = find(rec_id);
    if (!r) return std::nullopt;
    return r->change_count;
}

bool WangdiantongSimulator::is_waiting(std::int64_t rec_id) const {
    const Rec* r = find(rec_id);
    return r && r->waiting;
}

std::string WangdiantongSimulator::truth_ndjson() {
    std::string out;
    for (const Rec& r : recs_) {
        std::string line = record_json(r);
        line.pop_back();
        line += ",\"waiting\":" + std::string(r.waiting ? "true" : "false") +
                ",\"disable_syn_until\":" + std::to_string(r.disable_syn_until) + "}\n";
        out += line;
    }
    return out;
}

std::size_t WangdiantongSimulator::mutate(std::size_t count) {
    const std::size_t n = std::min(count, recs_.size());
    std::set<std::size_t> chosen;
    while (chosen.size() < n) chosen.insert(static_cast<std::size_t>(draw() % recs_.size()));
    for (std::size_t i : chosen) bump_stock(recs_[i]);
    return n;
}

SimResponse WangdiantongSimulator::answer(const json& envelope) const {
    SimResponse r;
    r.status = 200;
    r.content_type = "application/json; charset=utf-8";
    r.body = envelope.dump();
    r.headers.emplace_back("Date", format_http_date(now_unix()));
    return r;
}

SimResponse WangdiantongSimulator::status(int code, std::string_view message) const {
    return answer(json{{"status", code}, {"message", std::string(message)}});
}

SimResponse WangdiantongSimulator::rate_limit_response() const {
    return status(100, kRateLimitCalls);
}

bool WangdiantongSimulator::rate_limited() {
    if (options_.rate_limit_per_minute <= 0) return false;
    const std::int64_t now = now_unix();
    while (!recent_calls_.empty() && recent_calls_.front() <= now - 60) recent_calls_.pop_front();
    if (recent_calls_.size() >= static_cast<std::size_t>(options_.rate_limit_per_minute)) {
        return true;
    }
    recent_calls_.push_back(now);
    return false;
}

SimResponse WangdiantongSimulator::handle(const SimRequest& request) {
    if (request.path != "/openapi") {
        SimResponse r;
        r.status = 404;
        r.content_type = "text/html";
        r.body = "<html><body>404 Not Found</body></html>";
        return r;
    }
    if (request.method != "POST") {
        SimResponse r;
        r.status = 405;
        r.content_type = "text/html";
        r.body = "<html><body>405 Method Not Allowed</body></html>";
        return r;
    }
    ++calls_["(all)"];
    if (rate_limited()) return rate_limit_response();

    std::map<std::string, std::string> params;
    for (const auto& [k, v] : request.query) params[k] = v;
    for (const char* name : {"sid", "key", "salt", "method", "timestamp", "v", "sign"}) {
        if (!params.count(name)) return status(1, std::string("参数错误: 缺少") + name);
    }
    if (params["sid"] != creds_.sid) return status(1, "sid is not exists");
    if (params["key"] != creds_.key) return status(1, "app auth fail");
    if (params["salt"] != creds_.salt) return status(1, "验证失败");
    const std::string given = params["sign"];
    params.erase("sign");
    if (sign(creds_.secret, params, request.body) != given) return status(1, "验证失败");

    auto ts = parse_int64(params["timestamp"]);
    if (!ts || *ts > std::numeric_limits<std::int32_t>::max() ||
        *ts < std::numeric_limits<std::int32_t>::min()) {
        return status(1, "For input string: \"" + params["timestamp"] + "\"");
    }
    const std::int64_t skew = *ts - now_wdt();
    if (skew > kTimestampWindow || skew < -kTimestampWindow) return status(7, "时间戳错误");
    if (params["v"] != kApiVersion) return status(8, "版本错误");

    auto args = parse_json_exact(request.body);
    if (!args.ok() || !args->is_array()) return status(1, "参数错误");
    const std::string& method = params["method"];
    ++calls_[method];
    return call(method, *args);
}

SimResponse WangdiantongSimulator::call(const std::string& method, const json& args) {
    if (method == kWaitList) return wait_list(args);
    if (method == kCalcStock || method == "sales.StockSync.calcStockWithAuth") {
        return calc_stock(args);
    }
    if (method == kBatchCalcStock) return batch_calc(args);
    if (method == kSyncSuccess) return sync_ack(args, true);
    if (method == kSyncFail) return sync_ack(args, false);
    if (method == kCancelSync) return cancel_sync(args);
    return status(100, "应用错误: 接口不存在 " + method);
}

SimResponse WangdiantongSimulator::wait_list(const json& args) {
    if (args.size() != 2) return status(1, "invalid argument count");
    auto count = int_arg(args[0]);
    auto position = int_arg(args[1]);
    if (!count || !position) return status(1, "argument type mismatch");
    if (*count < 10 || *count > 5000) return status(1, "参数错误: count 取值范围 10-5000");
    const std::int64_t now = now_wdt();
    std::vector<std::pair<std::int64_t, std::int64_t>> taken;
    taken.reserve(static_cast<std::size_t>(*count));
    auto first = exclusive_position_
                     ? queue_.upper_bound({*position, std::numeric_limits<std::int64_t>::max()})
                     : queue_.lower_bound({*position, std::numeric_limits<std::int64_t>::min()});
    for (auto it = first;
         it != queue_.end() && it->first <= now && static_cast<std::int64_t>(taken.size()) < *count;
         ++it) {
        taken.push_back(*it);
    }
    json ids = json::array();
    for (const auto& [until, id] : taken) {
        ids.push_back(id);
        if (!lease_reading_) continue;  // it stays waiting where it is
        Rec& r = *find(id);
        set_waiting(r, now + lease_seconds_);  // leased until acknowledged or expired
        r.leased_at = now;
    }
    json data{{"id_list", ids}};
    if (!taken.empty() && !omit_position_) data["position"] = taken.back().first;
    return answer(json{{"status", 0}, {"data", data}});
}

SimResponse WangdiantongSimulator::calc_stock(const json& args) {
    if (args.size() != 2) return status(1, "invalid argument count");
    auto id = int_arg(args[0]);
    if (!id || !(args[1].is_boolean() || args[1].is_number_integer())) {
        return status(1, "argument type mismatch");
    }
    Rec* r = find(*id);
    if (!r) return status(100, "货品id:" + std::to_string(*id) + " 不存在");
    if (r->calc_fail) return status(100, "货品id:" + std::to_string(*id) + " 已停用或者未开启同步");
    SimResponse out = answer(json{{"status", 0}});
    out.body = "{\"status\":0,\"data\":" + record_json(*r) + "}";
    return out;
}

SimResponse WangdiantongSimulator::batch_calc(const json& args) {
    if (args.size() != 1) return status(1, "invalid argument count");
    if (!args[0].is_array()) return status(1, "argument type mismatch");
    if (!batch_enabled_) return status(100, "应用错误: 权限不足");
    if (args[0].size() > 5000) return status(1, "参数错误");
    // The whole answer is built in one buffer sized for the page up front: growing it by
    // doubling through a 500-record page costs more than the records themselves.
    std::string body = "{\"status\":0,\"data\":{\"success_date\":[";
    body.reserve(args[0].size() * 1024 + 64);
    const std::size_t first_record = body.size();
    json errors = json::array();
    for (const json& item : args[0]) {
        auto id = item.is_object() && item.contains("api_goods_id") ? int_arg(item["api_goods_id"])
                                                                    : std::nullopt;
        if (!id) return status(1, "argument type mismatch");
        Rec* r = find(*id);
        if (!r) {
            errors.push_back({{"rec_id", *id}, {"err_msg", "货品不存在"}});
        } else if (r->calc_fail) {
            errors.push_back({{"rec_id", *id}, {"err_msg", "已停用或者未开启同步"}});
        } else {
            if (body.size() > first_record) body += ',';
            body += record_json(*r);
        }
    }
    body += "],\"error_date\":" + errors.dump() + "}}";
    SimResponse out = answer(json{{"status", 0}});
    out.body = std::move(body);
    return out;
}

SimResponse WangdiantongSimulator::sync_ack(const json& args, bool success) {
    if (args.size() != 2) return status(1, "invalid argument count");
    auto id = int_arg(args[0]);
    if (!id || !args[1].is_object()) return status(1, "argument type mismatch");
    auto count = json_int(args[1], "stock_change_count");
    if (!count) return status(1, "参数错误: stock_change_count");
    Rec* r = find(*id);
    if (!r) return status(100, "货品id:" + std::to_string(*id) + " 不存在");
    const std::int64_t now = now_wdt();
    if (success) {
        if (r->waiting) {
            if (*count == r->change_count) {
                clear_waiting(*r);
                r->last_syn_e4 = r->stock_e4;
                r->last_syn_time = now;
                ++acks_accepted_;
            } else {
                ++acks_stale_;  // the stock moved since the calc: it stays waiting
            }
        }
    } else {
        ++sync_fails_;
        if (lease_reading_ && r->waiting && (*count == -1 || *count == r->change_count)) {
            set_waiting(*r, now + lease_seconds_);  // retried once the lease runs out
            r->leased_at = now;
        }
    }
    return answer(json{{"status", 0}});
}

SimResponse WangdiantongSimulator::cancel_sync(const json& args) {
    if (args.size() != 2) return status(1, "invalid argument count");
    auto id = int_arg(args[0]);
    auto count = int_arg(args[1]);
    if (!id || !count) return status(1, "argument type mismatch");
    Rec* r = find(*id);
    if (!r || !r->waiting || (*count != -1 && *count != r->change_count)) {
        return status(100, "取消失败");
    }
    clear_waiting(*r);
    return answer(json{{"status", 0}});
}

SimResponse WangdiantongSimulator::control(const SimRequest& request) {
    constexpr std::string_view kPrefix = "/__sim/";
    const std::string_view route =
        std::string_view(request.path)
            .substr(request.path.rfind(kPrefix, 0) == 0 ? kPrefix.size() : 0);
    auto bad = [](const std::string& m) { return control_json(400, json{{"error", m}}); };
    if (route == "waiting") {
        return control_json(200, json{{"waiting", waiting()}, {"records", recs_.size()}});
    }
    if (request.method != "POST") {
        if (route == "lease" || route == "clock" || route == "calc_fail" || route == "batch" ||
            route == "position" || route == "reading") {
            return control_json(405, json{{"error", "use POST"}});
        }
        return SimulatedPlatform::control(request);
    }
    if (route == "lease") {
        auto s = parse_int64(request.query_param("seconds"));
        if (!s || *s < 0) return bad("seconds must be a non-negative integer");
        set_lease_seconds(*s);
        return control_json(200, json{{"lease_seconds", lease_seconds_}});
    }
    if (route == "clock") {
        auto s = parse_int64(request.query_param("offset"));
        if (!s) return bad("offset must be an integer number of seconds");
        clock_offset_ = *s;
        return control_json(200, json{{"offset", clock_offset_}});
    }
    if (route == "calc_fail") {
        auto id = parse_int64(request.query_param("rec_id"));
        if (!id || !find(*id)) return bad("rec_id must name a record");
        const bool on = request.query_param("on") != "0";
        set_calc_fail(*id, on);
        return control_json(200, json{{"rec_id", *id}, {"calc_fail", on}});
    }
    if (route == "batch") {
        batch_enabled_ = request.query_param("enabled") != "0";
        return control_json(200, json{{"batch_enabled", batch_enabled_}});
    }
    if (route == "position") {
        omit_position_ = request.query_param("omit") == "1";
        return control_json(200, json{{"omit_position", omit_position_}});
    }
    if (route == "reading") {
        for (const auto& [name, value] : request.query) {
            if (auto error = apply_reading(name, value)) return bad(*error);
        }
        return control_json(200,
                            json{{"lease", lease_reading_ ? "on" : "off"},
                                 {"position", exclusive_position_ ? "exclusive" : "inclusive"}});
    }
    return SimulatedPlatform::control(request);
}

std::optional<std::string> WangdiantongSimulator::apply_reading(const std::string& name,
                                                                const std::string& value) {
    if (name == "lease" && (value == "on" || value == "off")) {
        lease_reading_ = value == "on";
        return std::nullopt;
    }
    if (name == "position" && (value == "inclusive" || value == "exclusive")) {
        exclusive_position_ = value == "exclusive";
        return std::nullopt;
    }
    return "unknown wangdiantong reading " + name + "=" + value +
           " (lease=on|off, position=inclusive|exclusive)";
}

}  // namespace csync::wangdiantong
