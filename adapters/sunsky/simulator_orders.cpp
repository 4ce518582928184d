#include "sunsky/simulator_orders.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "sunsky/protocol.hpp"
#include "sunsky/simulator_support.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

constexpr int kHistoryDays = 40;

std::string cents(std::int64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(v / 100),
                  static_cast<long long>(v % 100));
    return buf;
}

// Order rows carry minutes only ("MM/dd/yyyy HH:mm", seed interface 8).
std::string minutes(LocalTime t) { return format_time(t).substr(0, 16); }

const char* const kCities[] = {"Berlin", "Lyon", "Madrid", "Austin", "Osaka"};
const char* const kWays[] = {"China Post Air Mail", "DHL Express", "EMS", "Yanwen Economy"};

}  // namespace

SimOrderBook::SimOrderBook(std::uint64_t seed, std::vector<CatalogueItem> catalogue,
                           std::function<LocalTime()> now)
    : rng_(seed * 7919 + 11), catalogue_(std::move(catalogue)), now_(std::move(now)) {
    if (catalogue_.empty()) catalogue_.push_back({"SIM-ITEM", "Simulated item", 1});
    const LocalTime now_local = now_();
    const auto today = std::chrono::floor<std::chrono::days>(now_local);
    for (int back = kHistoryDays; back >= 0; --back) {
        const LocalTime day{today - std::chrono::days{back}};
        // One order at each edge of the local day, one or two in between.
        std::vector<LocalTime> times = {day, day + std::chrono::minutes{23 * 60 + 59}};
        times.push_back(day + std::chrono::minutes{60 + static_cast<long>(rng_() % (21 * 60))});
        if (rng_() % 2 == 0)
            times.push_back(day + std::chrono::minutes{static_cast<long>(rng_() % 1440)});
        std::sort(times.begin(), times.end());
        for (LocalTime t : times) {
            if (t > now_local) continue;
            // Old orders are mostly final; recent ones are still moving.
            int status = 1 + static_cast<int>(rng_() % 3);
            if (back > 10 && rng_() % 4 != 0) status = rng_() % 5 == 0 ? 4 : 5;
            add_order(t, status);
        }
    }
}

void SimOrderBook::add_order(LocalTime created, int status) {
    SimOrder o;
    o.created = created;
    o.seq = next_seq_++;
    char number[32];
    const auto ymd = std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(created)};
    std::snprintf(number, sizeof number, "SS%04d%02u%02u%05lld", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(o.seq));
    json lines = json::array();
    std::int64_t amount = 0;
    const std::size_t line_count = 1 + rng_() % 3;
    for (std::size_t i = 0; i < line_count; ++i) {
        const CatalogueItem& item = catalogue_[rng_() % catalogue_.size()];
        const std::int64_t qty = 1 + static_cast<std::int64_t>(rng_() % 5);
        const std::int64_t price = 99 + static_cast<std::int64_t>(rng_() % 5000);
        amount += qty * price;
        lines.push_back(json{{"productId", item.product_id},
                             {"itemNo", item.item_no},
                             {"name", item.name},
                             {"qty", qty},
                             {"price", cents(price)},
                             {"amount", cents(qty * price)},
                             {"checked", 1},
                             {"delayToShip", 0}});
    }
    const std::int64_t shipping = 150 + static_cast<std::int64_t>(rng_() % 2000);
    const std::size_t way = rng_() % 4;
    o.record = json{
        {"number", number},
        {"status", 1},
        {"amount", cents(amount)},
        {"shippingCost", cents(shipping)},
        {"totalAmount", cents(amount + shipping)},
        {"siteNumber", "WEB-" + std::to_string(100000 + o.seq)},
        {"packStatus", 0},
        {"trackingNumber", ""},
        {"gmtCreated", minutes(created)},
        {"gmtPaid", ""},
        {"gmtShipped", ""},
        {"deliveryAddress", json{{"countryId", 41 + static_cast<int>(o.seq % 5)},
                                 {"state", ""},
                                 {"city", kCities[o.seq % 5]},
                                 {"company", ""},
                                 {"address", std::to_string(o.seq) + " Market Street"},
                                 {"address2", ""},
                                 {"postcode", std::to_string(10000 + o.seq)},
                                 {"receiver", "Receiver " + std::to_string(o.seq)},
                                 {"telephone", "+49 30 " + std::to_string(5550000 + o.seq)},
                                 {"shipment", o.seq % 3 == 0 ? "drop" : "wholesale"},
                                 {"shippingWay", json{{"id", 7 + way}, {"name", kWays[way]}}}}},
        {"detailList", std::move(lines)},
    };
    by_number_[number] = orders_.size();
    orders_.push_back(std::move(o));
    // Walk it to the wanted status, as the platform would have.
    SimOrder& added = orders_.back();
    LocalTime when = created;
    while (added.record["status"].get<int>() != status) {
        when += std::chrono::minutes{30};
        if (status == 4) {
            added.record["status"] = 4;
            break;
        }
        move_on(added, when, /*may_cancel=*/false);
    }
}

void SimOrderBook::move_on(SimOrder& order, LocalTime when, bool may_cancel) {
    json& r = order.record;
    switch (r["status"].get<int>()) {
        case 1:
            if (may_cancel && rng_() % 6 == 0) {
                r["status"] = 4;  // cancelled before payment
            } else {
                r["status"] = 2;
                r["gmtPaid"] = minutes(when);
                r["packStatus"] = 1;
            }
            break;
        case 2:
            r["status"] = 3;
            r["gmtShipped"] = minutes(when);
            r["packStatus"] = 3;
            r["trackingNumber"] = "LX" + std::to_string(order.seq * 7 + 100000000) + "CN";
            break;
        case 3:
            r["status"] = 5;
            break;
        default:
            break;  // final
    }
}

std::vector<std::string> SimOrderBook::advance(std::size_t count) {
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < orders_.size(); ++i) {
        const int s = orders_[i].record["status"].get<int>();
        if (s >= 1 && s <= 3) open.push_back(i);
    }
    std::set<std::size_t> chosen;
    while (chosen.size() < std::min(count, open.size())) chosen.insert(open[rng_() % open.size()]);
    std::vector<std::string> moved;
    const LocalTime now = now_();
    for (std::size_t i : chosen) {
        move_on(orders_[i], now, /*may_cancel=*/true);
        moved.push_back(orders_[i].record["number"].get<std::string>());
    }
    return moved;
}

std::vector<std::string> SimOrderBook::create(std::size_t count) {
    std::vector<std::string> created;
    const LocalTime now = now_();
    for (std::size_t i = 0; i < count; ++i) {
        add_order(now, 1);
        created.push_back(orders_.back().record["number"].get<std::string>());
    }
    return created;
}

json SimOrderBook::shaped(const json& record, bool with_lines) const {
    json out = record;
    if (!with_lines) out.erase("detailList");
    if (shipping_way_top_level_) {
        out["shippingWay"] = out["deliveryAddress"]["shippingWay"];
        out["deliveryAddress"].erase("shippingWay");
    }
    return out;
}

json SimOrderBook::all_details() const {
    json out = json::array();
    for (const SimOrder& o : orders_) out.push_back(shaped(o.record, true));
    return out;
}

SimResponse SimOrderBook::list(const std::map<std::string, std::string>& params) const {
    auto query = read_day_query(params);
    if (auto* error = std::get_if<SimResponse>(&query)) return *error;
    const SimDayQuery& q = std::get<SimDayQuery>(query);
    std::optional<std::int64_t> status;
    if (auto p = params.find("status"); p != params.end() && !p->second.empty()) {
        status = to_int(p->second);
        if (!status) return envelope_error("Invalid parameter: status");
    }
    const auto site = params.find("siteNumber");
    std::vector<const SimOrder*> matching;
    for (const SimOrder& o : orders_) {
        if (!q.contains(o.created)) continue;
        if (status && o.record["status"].get<std::int64_t>() != *status) continue;
        if (site != params.end() && !site->second.empty() &&
            o.record["siteNumber"] != site->second) {
            continue;
        }
        matching.push_back(&o);
    }
    // Newest first.
    std::sort(matching.begin(), matching.end(), [](const SimOrder* a, const SimOrder* b) {
        return std::pair(a->created, a->seq) > std::pair(b->created, b->seq);
    });
    return page_of(static_cast<std::int64_t>(matching.size()), q.paging,
                   [&](std::size_t i) { return shaped(matching[i]->record, false); });
}

SimResponse SimOrderBook::details(const std::map<std::string, std::string>& params) const {
    auto p = params.find("number");
    if (p == params.end()) return envelope_error(kNotFoundMessage);
    auto it = by_number_.find(p->second);
    if (it == by_number_.end()) return envelope_error(kNotFoundMessage);
    return envelope_success(shaped(orders_[it->second].record, true));
}

SimResponse SimOrderBook::control(const SimRequest& request) {
    SimResponse r;
    if (request.path == "/__sim/sunsky/orders" && request.method == "GET") {
        r.body = all_details().dump();
        return r;
    }
    if (request.method == "POST" && request.path == "/__sim/sunsky/orders/shape") {
        const std::string where = request.query_param("shipping_way");
        if (where != "address" && where != "top") {
            r.status = 400;
            r.body = json{{"error", "shipping_way must be address or top"}}.dump();
            return r;
        }
        shipping_way_top_level_ = where == "top";
        r.body = json{{"shipping_way", where}}.dump();
        return r;
    }
    const bool advancing = request.path == "/__sim/sunsky/orders/advance";
    if (request.method == "POST" && (advancing || request.path == "/__sim/sunsky/orders/create")) {
        auto count = count_param(request, "count", 1);
        if (!count) {
            r.status = 400;
            r.body = json{{"error", "count must be a non-negative integer"}}.dump();
            return r;
        }
        if (const std::string number = request.query_param("number");
            advancing && !number.empty()) {
            auto it = by_number_.find(number);
            if (it == by_number_.end()) {
                r.status = 404;
                r.body = json{{"error", "no order " + number}}.dump();
                return r;
            }
            move_on(orders_[it->second], now_(), /*may_cancel=*/false);
            r.body = json{{"advanced", json::array({number})}}.dump();
            return r;
        }
        r.body = advancing ? json{{"advanced", advance(*count)}}.dump()
                           : json{{"created", create(*count)}}.dump();
        return r;
    }
    r.status = 404;
    r.content_type = "text/plain";
    r.body = "unknown control route\n";
    return r;
}

}  // namespace csync::sunsky
