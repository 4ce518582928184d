// The Sunsky `orders` stream: the pure order mapping (appendix C, exact amounts, the account's
// zone), the day-window plan (back-fill, the local midnight edge, open orders re-read until
// final or past the horizon), and the stream driven in process against the simulator.
#include <map>
#include <set>
#include <variant>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/json_util.hpp"
#include "core/run_coro.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/sim_http_client.hpp"
#include "sunsky/adapter.hpp"
#include "sunsky/mapping.hpp"
#include "sunsky/orders.hpp"
#include "sunsky/simulator.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using std::chrono::days;

TimeZone zone(const char* name) { return *TimeZone::from_name(name); }

json order_record() {
    return *parse_json_exact(R"({
      "number": "SS2024060100007", "status": 3, "amount": "12.50", "shippingCost": "3.20",
      "totalAmount": "15.70", "siteNumber": "WEB-7", "packStatus": 3,
      "trackingNumber": "LX100000049CN", "gmtCreated": "06/01/2024 00:00",
      "gmtPaid": "06/01/2024 00:30", "gmtShipped": "06/02/2024 09:15",
      "deliveryAddress": {"countryId": 41, "city": "Berlin", "receiver": "R 7",
                          "shippingWay": {"id": 8, "name": "DHL Express"}},
      "detailList": [
        {"productId": 2900013, "itemNo": "EDA0004400", "name": "Cable", "qty": 2,
         "price": "2.50", "amount": "5.00"},
        {"productId": 2900026, "itemNo": "IPC0004407", "name": "Case", "qty": 3,
         "price": "2.50", "amount": "7.50"}]})");
}

UtcTime utc(const char* iso) { return *parse_utc_iso(iso); }

TEST(SunskyOrderMapping, DetailsMapToAnOrderWithExactAmountsLinesAndUtcTimes) {
    auto mapped = map_order(order_record(), zone("Asia/Shanghai"));
    ASSERT_TRUE(std::holds_alternative<Order>(mapped)) << std::get<DeadLetter>(mapped).error;
    const Order& o = std::get<Order>(mapped);
    EXPECT_EQ(o.external_id, "SS2024060100007");
    EXPECT_EQ(o.status, OrderStatus::shipped);
    EXPECT_EQ(o.platform_status, "3");
    EXPECT_EQ(o.subtotal_amount->text(), "12.5");  // canonical decimal text
    EXPECT_EQ(o.shipping_cost->text(), "3.2");
    EXPECT_EQ(o.total_amount->text(), "15.7");
    EXPECT_EQ(o.currency, "USD");
    // 00:00 in Shanghai is 16:00 UTC the day before.
    EXPECT_EQ(*o.created_at, utc("2024-05-31T16:00:00Z"));
    EXPECT_EQ(*o.paid_at, utc("2024-05-31T16:30:00Z"));
    EXPECT_EQ(*o.shipped_at, utc("2024-06-02T01:15:00Z"));
    EXPECT_EQ(o.pack_status, "3");
    EXPECT_EQ(o.tracking_number, "LX100000049CN");
    EXPECT_EQ(o.site_number, "WEB-7");
    EXPECT_EQ(o.shipping_way, "DHL Express");
    EXPECT_EQ(json::parse(o.delivery_address_json)["city"], "Berlin");
    ASSERT_EQ(o.lines.size(), 2u);
    EXPECT_EQ(o.lines[1].sku, "IPC0004407");
    EXPECT_EQ(o.lines[1].quantity.text(), "3");
    EXPECT_EQ(o.lines[1].unit_price->text(), "2.5");
    EXPECT_EQ(o.lines[1].amount->text(), "7.5");
}

TEST(SunskyOrderMapping, StatusCodesFollowAppendixCAndUnknownCodesAreKept) {
    const std::map<int, OrderStatus> expected = {
        {1, OrderStatus::pending},   {2, OrderStatus::paid},      {3, OrderStatus::shipped},
        {4, OrderStatus::cancelled}, {5, OrderStatus::completed}, {9, OrderStatus::unknown}};
    for (const auto& [code, status] : expected) {
        json r = order_record();
        r["status"] = code;
        auto mapped = map_order(r, TimeZone::utc());
        ASSERT_TRUE(std::holds_alternative<Order>(mapped)) << code;
        EXPECT_EQ(std::get<Order>(mapped).status, status) << code;
        EXPECT_EQ(std::get<Order>(mapped).platform_status, std::to_string(code));
        EXPECT_EQ(order_is_final(std::get<Order>(mapped)), code == 4 || code == 5) << code;
    }
}

TEST(SunskyOrderMapping, UnpaidOrderHasNoPaymentTimeAndShippingWayMayBeTopLevel) {
    json r = order_record();
    r["status"] = 1;
    r["gmtPaid"] = "";
    r.erase("gmtShipped");
    r["shippingWay"] = r["deliveryAddress"]["shippingWay"];
    r["deliveryAddress"].erase("shippingWay");
    auto mapped = map_order(r, TimeZone::utc());
    ASSERT_TRUE(std::holds_alternative<Order>(mapped));
    const Order& o = std::get<Order>(mapped);
    EXPECT_FALSE(o.paid_at);
    EXPECT_FALSE(o.shipped_at);
    EXPECT_EQ(o.shipping_way, "DHL Express");
}

TEST(SunskyOrderMapping, UnreadableFieldsDeadLetterTheOrderByNumber) {
    for (const char* field : {"totalAmount", "gmtCreated", "gmtPaid"}) {
        json r = order_record();
        r[field] = "n/a";
        auto mapped = map_order(r, TimeZone::utc());
        ASSERT_TRUE(std::holds_alternative<DeadLetter>(mapped)) << field;
        EXPECT_EQ(std::get<DeadLetter>(mapped).record_key, "number=SS2024060100007");
        EXPECT_NE(std::get<DeadLetter>(mapped).error.find(field), std::string::npos);
    }
    json no_number = order_record();
    no_number.erase("number");
    EXPECT_TRUE(std::holds_alternative<DeadLetter>(map_order(no_number, TimeZone::utc())));
    json bad_line = order_record();
    bad_line["detailList"][0]["qty"] = "two";
    EXPECT_TRUE(std::holds_alternative<DeadLetter>(map_order(bad_line, TimeZone::utc())));
}

LocalDay day(const char* mm_dd_yyyy) { return *parse_day(mm_dd_yyyy); }

std::vector<std::string> texts(const std::vector<LocalDay>& windows) {
    std::vector<std::string> out;
    for (LocalDay d : windows) out.push_back(format_day(d));
    return out;
}

TEST(SunskyOrderWindows, FirstCycleBackFillsThenEachCycleReadsFromThePreviousToday) {
    OrdersPolicy policy;
    policy.backfill_days = 2;
    OrdersCursor c;
    const UtcTime now = utc("2024-06-01T04:00:00Z");
    plan_cycle(c, day("06/01/2024"), now, policy);
    EXPECT_EQ(texts(c.windows),
              (std::vector<std::string>{"05/30/2024", "05/31/2024", "06/01/2024"}));
    while (!advance(c, 0, 0, now, policy)) {
    }
    EXPECT_EQ(format_day(*c.recent_from), "06/01/2024");
    EXPECT_FALSE(c.today);
    // Same day: today only. Next day: the day that ended, then today; never an overlap.
    plan_cycle(c, day("06/01/2024"), now + 1min, policy);
    EXPECT_EQ(texts(c.windows), (std::vector<std::string>{"06/01/2024"}));
    while (!advance(c, 0, 0, now, policy)) {
    }
    plan_cycle(c, day("06/02/2024"), now + 20h, policy);
    EXPECT_EQ(texts(c.windows), (std::vector<std::string>{"06/01/2024", "06/02/2024"}));
}

TEST(SunskyOrderWindows, PagesAdvanceWithinAWindowUntilItsLastPage) {
    OrdersPolicy policy;
    policy.backfill_days = 0;
    OrdersCursor c;
    const UtcTime now = utc("2024-06-01T04:00:00Z");
    plan_cycle(c, day("06/01/2024"), now, policy);
    EXPECT_FALSE(advance(c, 100, 3, now, policy));
    EXPECT_EQ(c.page, 2);
    EXPECT_FALSE(advance(c, 100, 3, now, policy));
    EXPECT_TRUE(advance(c, 7, 3, now, policy));
    EXPECT_EQ(c.page, 1);
}

TEST(SunskyOrderWindows, OpenOrdersDaysAreReReadOnTheirScheduleUntilPastTheHorizon) {
    OrdersPolicy policy;
    policy.backfill_days = 0;
    policy.horizon_days = 5;
    policy.recheck_interval = 3600s;
    OrdersCursor c;
    c.recent_from = day("06/10/2024");
    c.open["A"] = {day("06/08/2024"), "h1"};
    c.open["B"] = {day("06/04/2024"), "h2"};  // older than the horizon on 06/10
    c.open["C"] = {day("06/08/2024"), "h3"};
    const UtcTime now = utc("2024-06-10T04:00:00Z");
    plan_cycle(c, day("06/10/2024"), now, policy);
    EXPECT_EQ(texts(c.windows), (std::vector<std::string>{"06/08/2024", "06/10/2024"}));
    EXPECT_FALSE(c.open.contains("B"));
    while (!advance(c, 0, 0, now, policy)) {
    }
    EXPECT_EQ(*c.recheck_due, now.time_since_epoch().count() + 3600);
    // Not due yet: today only.
    plan_cycle(c, day("06/10/2024"), now + 10min, policy);
    EXPECT_EQ(texts(c.windows), (std::vector<std::string>{"06/10/2024"}));
    EXPECT_FALSE(c.rechecking);
}

TEST(SunskyOrderWindows, CursorSurvivesJsonAndRejectsGarbage) {
    OrdersPolicy policy;
    OrdersCursor c;
    c.recent_from = day("06/01/2024");
    c.open["SS1"] = {day("05/30/2024"), "abcd"};
    plan_cycle(c, day("06/02/2024"), utc("2024-06-02T00:00:00Z"), policy);
    advance(c, 100, 2, utc("2024-06-02T00:00:00Z"), policy);
    auto back = OrdersCursor::from_json(json::parse(c.to_json().dump()));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(back->to_json(), c.to_json());
    EXPECT_EQ(back->page, 2);
    for (const char* bad :
         {R"([1])", R"({"recent_from":"2024-06-01"})", R"({"open":{"X":["06/01/2024"]}})",
          R"({"today":"06/01/2024","windows":[],"page":0})"}) {
        auto parsed = OrdersCursor::from_json(json::parse(bad));
        ASSERT_FALSE(parsed.ok()) << bad;
        EXPECT_EQ(parsed.error().kind, ErrorKind::config);
    }
}

// --- the stream against the simulator, in process -----------------------------------------

constexpr const char* kKey = "orders-key";
constexpr const char* kSecret = "orders-secret-value";

struct OrdersRig {
    // `start`: the wall clock; the simulator's orders are generated up to it.
    explicit OrdersRig(std::chrono::system_clock::time_point start,
                       const char* account_zone = "Asia/Shanghai")
        : clock(start), sim(options()), http(sim) {
        account.name = "sunsky-orders";
        account.platform = "sunsky";
        account.base_url = "http://sim.invalid";
        account.timezone = account_zone;
        account.credentials = {{"key", kKey}, {"secret", kSecret}};
        adapter = std::make_unique<SunskyAdapter>(
            AdapterDeps{account, http, clock, *TimeZone::from_name(account_zone)});
    }

    SimOptions options() {
        SimOptions o;
        o.seed = 5;
        o.products = 60;
        o.credentials = {{"key", kKey}, {"secret", kSecret}};
        o.now = [this] { return clock.now(); };
        return o;  // the simulator's zone: Asia/Shanghai
    }

    StreamSyncPtr stream(std::map<std::string, std::string> options = {}) {
        StreamConfig s;
        s.name = kOrdersStream;
        s.options = {{"backfill_days", "30"}, {"horizon_days", "30"}, {"recheck_interval", "0"}};
        for (auto& [k, v] : options) s.options[k] = v;
        return adapter->make_stream(s);
    }

    // One cycle, committing every page to `orders` (number -> order) and counting inserts.
    int cycle(StreamSync& s) {
        int pages = 0;
        for (; pages < 500; ++pages) {
            auto page = csync::testing::run_coro(io, s.fetch_page(cursor));
            if (!page.ok()) {
                ADD_FAILURE() << page.error().describe();
                return pages;
            }
            for (Order& o : page->records.orders) {
                if (!orders.contains(o.external_id)) ++inserts;
                orders[o.external_id] = o;
            }
            dead_letters += page->records.dead_letters.size();
            cursor = page->next_cursor;
            (void)csync::testing::run_coro(io, s.after_commit(*page));
            if (page->cycle_done) return pages + 1;
        }
        ADD_FAILURE() << "cycle did not end";
        return pages;
    }

    // The simulator's orders created on or after `from` (platform local day).
    std::map<std::string, json> truth_since(LocalDay from) {
        std::map<std::string, json> out;
        for (const json& o : sim.orders().all_details()) {
            if (*parse_time(o["gmtCreated"].get<std::string>()) >= LocalTime{from}) {
                out[o["number"].get<std::string>()] = o;
            }
        }
        return out;
    }

    int detail_calls_since(std::size_t first_request) const {
        int n = 0;
        for (std::size_t i = first_request; i < http.requests.size(); ++i) {
            n += http.requests[i].url.find("getOrderDetails") != std::string::npos;
        }
        return n;
    }

    csync::testing::FakeClock clock;
    SunskySimulator sim;
    csync::testing::SimHttpClient http;
    AccountConfig account;
    std::unique_ptr<SunskyAdapter> adapter;
    boost::asio::io_context io;
    json cursor;
    std::map<std::string, Order> orders;
    int inserts = 0;
    std::size_t dead_letters = 0;
};

// 2024-06-01T04:00:00Z = 12:00 in Shanghai.
const std::chrono::system_clock::time_point kNoonShanghai{std::chrono::seconds{1'717'214'400}};

void expect_matches(const OrdersRig& rig, const std::map<std::string, json>& truth) {
    ASSERT_EQ(rig.orders.size(), truth.size());
    for (const auto& [number, t] : truth) {
        auto it = rig.orders.find(number);
        ASSERT_NE(it, rig.orders.end()) << number;
        EXPECT_EQ(it->second.platform_status, std::to_string(t["status"].get<int>())) << number;
        EXPECT_EQ(it->second.tracking_number, t["trackingNumber"].get<std::string>()) << number;
        EXPECT_EQ(it->second.total_amount->text(),
                  Decimal::parse(t["totalAmount"].get<std::string>())->text());
        EXPECT_EQ(it->second.lines.size(), t["detailList"].size());
    }
}

TEST(SunskyOrdersStream, BackFillReadsEveryOrderOfTheLastDaysOnceWithItsLines) {
    OrdersRig rig(kNoonShanghai);
    auto stream = rig.stream();
    rig.cycle(*stream);
    const LocalDay today = day("06/01/2024");
    const auto truth = rig.truth_since(today - days{30});
    ASSERT_GT(truth.size(), 60u);
    expect_matches(rig, truth);
    EXPECT_EQ(rig.inserts, static_cast<int>(truth.size()));
    EXPECT_EQ(rig.dead_letters, 0u);
    // Every list request names one local day, in MM/dd/yyyy.
    for (const HttpRequest& r : rig.http.requests) {
        if (r.url.find("getOrderList") == std::string::npos) continue;
        EXPECT_NE(r.body.find("gmtCreatedStart="), std::string::npos);
    }
}

TEST(SunskyOrdersStream, StatusChangesAreFollowedAndOnlyChangedRowsCostADetailsCall) {
    OrdersRig rig(kNoonShanghai);
    auto stream = rig.stream();
    rig.cycle(*stream);
    // Nothing changed: the lists are read again, no details.
    std::size_t before = rig.http.requests.size();
    rig.clock.advance(10min);
    rig.cycle(*stream);
    EXPECT_EQ(rig.detail_calls_since(before), 0);
    // Two status changes each, with a sync between them.
    for (int round = 0; round < 2; ++round) {
        rig.clock.advance(10min);
        const auto tracked = rig.truth_since(day("06/01/2024") - days{30});
        int moved_tracked = 0;
        for (const std::string& number : rig.sim.orders().advance(8)) {
            moved_tracked += tracked.contains(number);
        }
        ASSERT_GT(moved_tracked, 0);
        before = rig.http.requests.size();
        rig.cycle(*stream);
        EXPECT_EQ(rig.detail_calls_since(before), moved_tracked) << "round " << round;
    }
    expect_matches(rig, rig.truth_since(day("06/01/2024") - days{30}));
}

TEST(SunskyOrdersStream, AnOrderCreatedJustBeforeLocalMidnightIsReadOnceAfterMidnight) {
    // 15:59:00Z = 23:59 in Shanghai: a cycle runs, then an order arrives at 23:59 and the next
    // cycle runs at 00:01 local, already on the next local day (still the same UTC day).
    OrdersRig rig(std::chrono::system_clock::time_point{std::chrono::seconds{1'717'257'540}});
    auto stream = rig.stream({{"recheck_interval", "86400000"}});
    rig.cycle(*stream);
    const auto late = rig.sim.orders().create(1);
    rig.clock.advance(2min);
    const auto early = rig.sim.orders().create(1);
    const int inserts_before = rig.inserts;
    std::size_t before = rig.http.requests.size();
    rig.cycle(*stream);
    EXPECT_TRUE(rig.orders.contains(late[0]));
    EXPECT_TRUE(rig.orders.contains(early[0]));
    EXPECT_EQ(rig.inserts - inserts_before, 2);
    EXPECT_EQ(rig.detail_calls_since(before), 2);
    // The windows were the Shanghai days that ended and began, not UTC's.
    std::vector<std::string> days_read;
    for (std::size_t i = before; i < rig.http.requests.size(); ++i) {
        const std::string& body = rig.http.requests[i].body;
        if (auto at = body.find("gmtCreatedStart="); at != std::string::npos) {
            days_read.push_back(form_decode(body.substr(at + 16, 14)).substr(0, 10));
        }
    }
    EXPECT_EQ(days_read, (std::vector<std::string>{"06/01/2024", "06/02/2024"}));
    // The next cycle no longer reads the day that ended.
    rig.clock.advance(5min);
    before = rig.http.requests.size();
    rig.cycle(*stream);
    EXPECT_EQ(rig.detail_calls_since(before), 0);
    EXPECT_EQ(rig.inserts - inserts_before, 2);
}

TEST(SunskyOrdersStream, AUtcAccountZoneReadsOtherDaysThanThePlatformsAndSaysSo) {
    // The same instant, 00:30 in Shanghai, is still the previous day in UTC: an account
    // configured with the wrong zone asks for the wrong day (the zone must be the platform's).
    const std::chrono::system_clock::time_point at{std::chrono::seconds{1'717'259'400}};
    OrdersRig shanghai(at);
    OrdersRig utc_account(at, "UTC");
    auto a = shanghai.stream({{"backfill_days", "0"}});
    auto b = utc_account.stream({{"backfill_days", "0"}});
    shanghai.cycle(*a);
    utc_account.cycle(*b);
    EXPECT_NE(shanghai.http.requests.front().body.find("06%2F02%2F2024"), std::string::npos);
    EXPECT_NE(utc_account.http.requests.front().body.find("06%2F01%2F2024"), std::string::npos);
}

TEST(SunskyOrdersStream, ARestartedStreamReadsOpenOrdersAgainButNotTheBackFill) {
    OrdersRig rig(kNoonShanghai);
    {
        auto first = rig.stream({{"recheck_interval", "86400000"}});
        rig.cycle(*first);
    }
    auto second = rig.stream({{"recheck_interval", "86400000"}});  // a new process
    rig.clock.advance(10min);
    const std::size_t before = rig.http.requests.size();
    rig.cycle(*second);
    // Today's final orders are fetched again once (not remembered across processes); the open
    // orders are known from the cursor.
    const auto open = json(rig.cursor["open"]).size();
    EXPECT_GT(open, 0u);
    EXPECT_LE(rig.detail_calls_since(before), 4);
}

TEST(SunskyOrdersStream, AFailedPageIsFetchedAgainWithTheSameDetails) {
    OrdersRig rig(kNoonShanghai);
    auto stream = rig.stream({{"backfill_days", "0"}});
    // A page fetched but never committed (the store failed): no after_commit.
    auto lost = csync::testing::run_coro(rig.io, stream->fetch_page(rig.cursor));
    ASSERT_TRUE(lost.ok());
    ASSERT_FALSE(lost->records.orders.empty());
    auto again = csync::testing::run_coro(rig.io, stream->fetch_page(rig.cursor));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->records.orders.size(), lost->records.orders.size());
}

}  // namespace
}  // namespace csync::sunsky
