// The `orders` stream: window arithmetic (frozen whole-second end, look-back, back-fill, a clock
// set back), the request body, exact amounts in either unit, local times to UTC, the mapping, and
// the stream against the simulator in process under each reading of what the notes leave open
// (edge semantics, time format, page limits, GET with a body refused, money unit): the store
// equals the truth, an order updated exactly on a window edge is read once, an order that moved
// on twice ends with its latest status, a restart finishes the frozen window.

#include "wshoto/orders.hpp"
#include "core/json_util.hpp"
#include "rig.hpp"

namespace csync::wshoto::test {
namespace {

using namespace std::chrono_literals;

const TimeZone& shanghai() {
    static const TimeZone zone = TimeZone::from_name("Asia/Shanghai").value();
    return zone;
}

UtcTime at(std::int64_t unix) { return UtcTime{std::chrono::seconds{unix}}; }

// ---- pure parts -------------------------------------------------------------------------------

TEST(OrderWindows, TheFirstCycleReachesBackTheBackfillToAFrozenWholeSecondEnd) {
    OrdersPolicy policy;  // backfill 30 days
    const auto now = std::chrono::system_clock::time_point{std::chrono::milliseconds{
        1'700'000'000'700}};  // .7 s past the second: the end is floored, never ahead
    const OrderWindow w =
        plan_window(std::nullopt, std::chrono::floor<std::chrono::seconds>(now), policy);
    EXPECT_EQ(w.end, at(1'700'000'000));
    EXPECT_EQ(w.start, at(1'700'000'000 - 30 * 86400));
    EXPECT_EQ(w.index, 1);
    EXPECT_EQ(w.total, -1);
}

TEST(OrderWindows, LaterCyclesStartTheLookbackBeforeTheWatermark) {
    OrdersPolicy policy;
    policy.lookback = 90s;
    const OrderWindow w = plan_window(at(1'700'000'000), at(1'700'000'600), policy);
    EXPECT_EQ(w.start, at(1'700'000'000 - 90));
    EXPECT_EQ(w.end, at(1'700'000'600));
}

TEST(OrderWindows, AClockSetBackGivesAnEmptyWindowNotANegativeOne) {
    OrdersPolicy policy;
    policy.lookback = 0s;
    const OrderWindow w = plan_window(at(1'700'000'600), at(1'700'000'000), policy);
    EXPECT_EQ(w.start, w.end);
}

TEST(OrderWindows, TheRequestWidensTheWindowBySecondOnTheStartInTheAccountsZone) {
    OrderWindow w;
    w.start = at(1'700'000'000);  // 2023-11-14 22:13:20 UTC = 2023-11-15 06:13:20 in Shanghai
    w.end = at(1'700'003'600);
    w.index = 3;
    const json text = order_list_body(w, 100, TimeFormat::text, shanghai());
    EXPECT_EQ(text["type"], 3);
    EXPECT_EQ(text["start_time"], "2023-11-15 06:13:19");
    EXPECT_EQ(text["end_time"], "2023-11-15 07:13:20");
    EXPECT_EQ(text["current_index"], 3);
    EXPECT_EQ(text["page_size"], 100);
    EXPECT_EQ(order_list_body(w, 50, TimeFormat::seconds, shanghai())["start_time"], 1'699'999'999);
    EXPECT_EQ(order_list_body(w, 50, TimeFormat::millis, shanghai())["end_time"],
              1'700'003'600'000LL);
    EXPECT_TRUE(in_window(w, w.start));
    EXPECT_FALSE(in_window(w, w.end));
    EXPECT_FALSE(in_window(w, w.start - 1s));
}

TEST(OrderWindows, TheCursorRoundTripsAndRejectsWhatItDidNotWrite) {
    OrdersCursor c;
    c.watermark = at(1'700'000'000);
    c.use_post = true;
    c.window = OrderWindow{at(1'699'999'700), at(1'700'000'600), 2, 100, 250, 1, true};
    auto back = OrdersCursor::from_json(c.to_json());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->watermark, c.watermark);
    EXPECT_TRUE(back->use_post);
    EXPECT_EQ(back->window, c.window);
    EXPECT_FALSE(OrdersCursor::from_json(json{{"watermark", "yesterday"}}).ok());
    EXPECT_FALSE(OrdersCursor::from_json(json{{"window", {{"start", "x"}}}}).ok());
    EXPECT_FALSE(OrdersCursor::from_json(json::array()).ok());
}

TEST(OrderAmounts, FenBecomeYuanExactlyAndYuanStayAsSent) {
    auto money = [](const char* text, MoneyUnit unit) {
        auto v = money_field(json::parse(std::string("{\"p\":") + text + "}"), "p", unit);
        return v ? v->text() : std::string("none");
    };
    EXPECT_EQ(money("1999", MoneyUnit::fen), "19.99");
    EXPECT_EQ(money("5", MoneyUnit::fen), "0.05");
    EXPECT_EQ(money("-250", MoneyUnit::fen), "-2.5");
    EXPECT_EQ(money("\"12.5\"", MoneyUnit::fen), "0.125");
    EXPECT_EQ(money("0", MoneyUnit::fen), "0");
    EXPECT_EQ(money("\"6.00\"", MoneyUnit::yuan), "6");
    EXPECT_EQ(money("\"19.99\"", MoneyUnit::yuan), "19.99");
    EXPECT_EQ(money("null", MoneyUnit::yuan), "none");
    EXPECT_EQ(money("\"abc\"", MoneyUnit::fen), "none");
}

TEST(OrderAmounts, TheUnitOptionIsExplicitAndChecked) {
    EXPECT_EQ(*parse_money_unit("yuan", "unit"), MoneyUnit::yuan);
    EXPECT_EQ(*parse_money_unit("fen", "unit"), MoneyUnit::fen);
    auto bad = parse_money_unit("cents", "unit");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::config);
    EXPECT_NE(bad.error().message.find("unit"), std::string::npos);
    StreamConfig s;
    s.name = "orders";
    s.options["unit"] = "fen";
    s.options["lookback"] = "60000";
    s.options["backfill"] = "86400000";
    auto policy = orders_policy(s);
    ASSERT_TRUE(policy.ok());
    EXPECT_EQ(policy->unit, MoneyUnit::fen);
    EXPECT_EQ(policy->lookback, 60s);
    EXPECT_EQ(policy->backfill, 24h);
}

TEST(OrderTimes, LocalTextIsShanghaiTimeAndUnixNumbersAreZoneFree) {
    const json r{{"a", "2023-11-15 06:13:20"},
                 {"b", 1'700'000'000},
                 {"c", 1'700'000'000'000LL},
                 {"d", "1700000000"},
                 {"e", "2024-02-30 00:00:00"},
                 {"f", "2023-11-15T06:13:20"},
                 {"g", 0},
                 {"h", ""}};
    EXPECT_EQ(time_field(r, "a", shanghai()), at(1'700'000'000));
    EXPECT_EQ(time_field(r, "a", TimeZone::utc()), at(1'700'000'000 + 8 * 3600));
    EXPECT_EQ(time_field(r, "b", shanghai()), at(1'700'000'000));
    EXPECT_EQ(time_field(r, "c", shanghai()), at(1'700'000'000));
    EXPECT_EQ(time_field(r, "d", shanghai()), at(1'700'000'000));
    for (const char* k : {"e", "f", "g", "h", "missing"}) {
        EXPECT_FALSE(time_field(r, k, shanghai()).has_value()) << k;
    }
    EXPECT_EQ(wire_time(at(1'700'000'000), TimeFormat::text, shanghai()), "2023-11-15 06:13:20");
}

TEST(OrderMapping, AnOrderWithItsLinesStatusTimesAndExactAmounts) {
    const json record = json::parse(R"({
        "order_code":"WS1","status":3,"pay_status":1,"total_price":"12.00","freight_price":"5.00",
        "pay_price":"17.00","express_no":"SF1","express_name":"顺丰",
        "create_time":"2023-11-15 06:00:00","update_time":"2023-11-15 08:00:00",
        "pay_time":"2023-11-15 06:10:00","send_time":"2023-11-15 08:00:00","finish_time":null,
        "close_time":null,
        "detail_list":[{"order_detail_id":7,"sku_no":"SKU-1","goods_name":"商品","goods_num":2,
                        "goods_price":"6.00","pay_price":"12.00"}]})");
    auto mapped = map_order(parse_json_exact(record.dump()).value(), MoneyUnit::yuan, shanghai());
    ASSERT_TRUE(std::holds_alternative<Order>(mapped));
    const Order& o = std::get<Order>(mapped);
    EXPECT_EQ(o.external_id, "WS1");
    EXPECT_EQ(o.status, OrderStatus::shipped);
    EXPECT_EQ(o.platform_status, "3");
    EXPECT_EQ(o.total_amount->text(), "17");
    EXPECT_EQ(o.subtotal_amount->text(), "12");
    EXPECT_EQ(o.shipping_cost->text(), "5");
    EXPECT_EQ(o.currency, "CNY");
    EXPECT_EQ(format_utc_iso(*o.source_modified_at), "2023-11-15T00:00:00Z");
    EXPECT_EQ(format_utc_iso(*o.created_at), "2023-11-14T22:00:00Z");
    EXPECT_EQ(o.tracking_number, "SF1");
    ASSERT_EQ(o.lines.size(), 1u);
    EXPECT_EQ(o.lines[0].line_id, "7");
    EXPECT_EQ(o.lines[0].sku, "SKU-1");
    EXPECT_EQ(o.lines[0].quantity.text(), "2");
    EXPECT_EQ(o.lines[0].unit_price->text(), "6");

    json closed = record;
    closed["close_time"] = "2023-11-15 09:00:00";
    EXPECT_EQ(std::get<Order>(map_order(closed, MoneyUnit::yuan, shanghai())).status,
              OrderStatus::cancelled);
    json fen = record;
    fen["pay_price"] = 1700;
    EXPECT_EQ(std::get<Order>(map_order(fen, MoneyUnit::fen, shanghai())).total_amount->text(),
              "17");
    json no_time = record;
    no_time.erase("update_time");
    EXPECT_TRUE(
        std::holds_alternative<DeadLetter>(map_order(no_time, MoneyUnit::yuan, shanghai())));
    EXPECT_TRUE(std::holds_alternative<DeadLetter>(
        map_order(json{{"status", 1}}, MoneyUnit::yuan, shanghai())));
}

TEST(NumberedPages, RecordsAndTotalOrATypedError) {
    auto page = read_numbered_page(json{{"total", 3}, {"records", json::array({1, 2})}}, "orders");
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->records.size(), 2u);
    EXPECT_EQ(page->total, 3);
    auto none = read_numbered_page(json(), "orders");
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->records.empty());
    EXPECT_EQ(none->total, -1);
    for (const json& bad : {json{{"records", "x"}}, json::array()}) {
        auto r = read_numbered_page(bad, "orders");
        ASSERT_FALSE(r.ok()) << bad.dump();
        EXPECT_EQ(r.error().kind, ErrorKind::bad_response);
        EXPECT_NE(r.error().message.find("orders"), std::string::npos);
    }
}

// ---- the stream against the simulator -----------------------------------------------------------

using Readings = std::map<std::string, std::string>;

struct OrdersRig : Rig {
    explicit OrdersRig(const Readings& readings, std::map<std::string, std::string> options = {})
        : Rig(10, readings) {
        zone = shanghai();
        stream.name = "orders";
        stream.page_size = 15;
        stream.options = std::move(options);
        restart();
    }
    // One cycle; the clock then moves on so that the next cycle's window is a later one.
    void cycle() {
        pass();
        clock.advance(30s);
    }
    void expect_store_equals_truth() {
        std::map<std::string, Order> stored;
        for (Order& o : store.orders(kAccount)) stored[o.external_id] = std::move(o);
        const json truth = sim->mall().orders_truth();
        ASSERT_FALSE(truth.empty());
        EXPECT_EQ(stored.size(), truth.size());
        for (const json& t : truth) {
            const std::string code = t["order_code"];
            auto it = stored.find(code);
            if (it == stored.end()) {
                ADD_FAILURE() << "missed order " << code;
                continue;
            }
            const Order& o = it->second;
            EXPECT_EQ(o.platform_status, t["status"].dump()) << code;
            EXPECT_EQ(format_utc_iso(*o.source_modified_at), t["update_time"]) << code;
            EXPECT_EQ(o.total_amount->text(), t["pay_price"]) << code;
            EXPECT_EQ(o.lines.size(), t["lines"].get<std::size_t>()) << code;
        }
    }
    // An order the simulator can still move on (not completed or closed).
    std::string open_order() {
        for (const json& t : sim->mall().orders_truth()) {
            if (t["status"].get<int>() <= 2) return t["order_code"];
        }
        return sim->mall().create_order(clock.now().time_since_epoch() / 1s);
    }
    int truth_status(const std::string& code) {
        for (const json& t : sim->mall().orders_truth()) {
            if (t["order_code"] == code) return t["status"].get<int>();
        }
        return 0;
    }
    std::int64_t now_unix() const {
        return std::chrono::floor<std::chrono::seconds>(clock.now()).time_since_epoch().count();
    }
};

// The readings that matter together: how the platform treats the edges, the time format it
// wants, its page limit, GET with a body, and the unit of the amounts (with the option that
// matches it).
struct Case {
    Readings readings;
    std::map<std::string, std::string> options;
};

class OrdersStreamUnder : public ::testing::TestWithParam<Case> {};

TEST_P(OrdersStreamUnder, TheStoreEqualsTheTruthAndMovesOnWithIt) {
    OrdersRig rig(GetParam().readings, GetParam().options);
    rig.cycle();
    rig.expect_store_equals_truth();
    rig.sim->mutate(12);  // orders move on, new ones come
    rig.clock.advance(5s);
    rig.cycle();
    rig.expect_store_equals_truth();
}

TEST_P(OrdersStreamUnder, AnOrderUpdatedExactlyOnTheWindowEdgeIsReadOnce) {
    OrdersRig rig(GetParam().readings, GetParam().options);
    // Orders updated exactly at the instant the first cycle's window ends (its end is
    // exclusive): a new one and one that moved on. The first window must not take them (the
    // platform shows only their current state, stamped on the edge), the second must, once.
    const std::int64_t edge = rig.now_unix();
    const std::string moved = rig.open_order();
    ASSERT_TRUE(rig.sim->mall().advance(moved, edge));
    const std::string created = rig.sim->mall().create_order(edge);
    rig.pass();
    EXPECT_FALSE(rig.store.order(kAccount, moved).has_value());
    EXPECT_FALSE(rig.store.order(kAccount, created).has_value());
    const ApplyStats first = rig.applied;
    EXPECT_EQ(first.inserted + 2, static_cast<std::int64_t>(rig.sim->mall().orders_truth().size()));

    rig.clock.advance(30s);
    rig.pass();
    rig.expect_store_equals_truth();
    EXPECT_EQ(*rig.store.order(kAccount, moved)->source_modified_at, at(edge));
    EXPECT_EQ(*rig.store.order(kAccount, created)->source_modified_at, at(edge));
    // The second window wrote exactly those two; every other re-read (look-back) was unchanged.
    EXPECT_EQ(rig.applied.inserted - first.inserted, 2);
    EXPECT_EQ(rig.applied.updated, first.updated);
}

TEST_P(OrdersStreamUnder, AnOrderThatMovesOnTwiceEndsWithItsLatestStatus) {
    OrdersRig rig(GetParam().readings, GetParam().options);
    rig.cycle();
    // A paid order (an unpaid one may be closed instead of paid).
    std::string code;
    for (int i = 0; i < 20 && code.empty(); ++i) {
        code = rig.sim->mall().create_order(rig.now_unix());
        rig.sim->mall().advance(code, rig.now_unix());
        if (rig.truth_status(code) != 2) code.clear();
    }
    ASSERT_FALSE(code.empty());
    rig.clock.advance(1s);  // past the order's update time: the next window holds it
    rig.cycle();
    EXPECT_EQ(rig.store.order(kAccount, code)->status, OrderStatus::paid);
    // Shipped, then completed, before the next cycle.
    ASSERT_TRUE(rig.sim->mall().advance(code, rig.now_unix()));
    rig.clock.advance(3s);
    ASSERT_TRUE(rig.sim->mall().advance(code, rig.now_unix()));
    rig.clock.advance(1s);
    const ApplyStats before = rig.applied;
    rig.cycle();
    rig.expect_store_equals_truth();
    const auto stored = rig.store.order(kAccount, code);
    EXPECT_EQ(stored->platform_status, "4");
    EXPECT_EQ(stored->status, OrderStatus::completed);
    EXPECT_EQ(rig.applied.updated - before.updated, 1);
}

INSTANTIATE_TEST_SUITE_P(
    Readings, OrdersStreamUnder,
    ::testing::Values(
        Case{{}, {}}, Case{{{"order_end", "inclusive"}}, {}},
        Case{{{"order_start", "exclusive"}, {"order_end", "inclusive"}}, {}},
        Case{{{"time_format", "seconds"}, {"order_page_limit", "clamp50"}},
             {{"time_format", "seconds"}}},
        Case{{{"time_format", "millis"}, {"order_page_limit", "reject100"}},
             {{"time_format", "millis"}}},
        Case{{{"get_body", "refused"}, {"order_unit", "fen"}}, {{"unit", "fen"}}},
        Case{{{"order_page_limit", "clamp50"}, {"order_end", "inclusive"}, {"get_body", "refused"}},
             {}}));

TEST(OrdersStream, AShortPageFromAPlatformPageLimitDoesNotEndTheWindow) {
    // The platform serves at most 50 rows whatever is asked: pages of 50 continue the window.
    OrdersRig rig(Readings{{"order_page_limit", "clamp50"}});
    rig.stream.page_size = 100;
    rig.restart();
    for (int i = 0; i < 80; ++i) rig.sim->mall().create_order(rig.now_unix() - 100 - i);
    rig.cycle();
    rig.expect_store_equals_truth();
}

TEST(OrdersStream, GetWithABodyRefusedFallsBackToPostOnceAndRemembersIt) {
    OrdersRig rig(Readings{{"get_body", "refused"}});
    rig.cycle();
    rig.expect_store_equals_truth();
    auto count = [&](const char* method) {
        int n = 0;
        for (const HttpRequest& r : rig.http->requests) {
            if (r.url.find(kOrderListPath) != std::string::npos && r.method == method) ++n;
        }
        return n;
    };
    EXPECT_EQ(count("GET"), 1);
    EXPECT_GE(count("POST"), 1);
    EXPECT_EQ(rig.cursor["method"], "POST");
    // A new process reads the cursor: no GET is tried again.
    rig.restart();
    rig.sim->mutate(4);
    rig.clock.advance(1s);
    rig.cycle();
    EXPECT_EQ(count("GET"), 1);
    rig.expect_store_equals_truth();
}

TEST(OrdersStream, GetIsWhatTheDocumentedEndpointGetsWhenThePlatformTakesIt) {
    OrdersRig rig(Readings{});
    rig.cycle();
    for (const HttpRequest& r : rig.http->requests) {
        if (r.url.find(kOrderListPath) == std::string::npos) continue;
        EXPECT_EQ(r.method, "GET");
        EXPECT_EQ(json::parse(r.body)["type"], 3);
    }
    EXPECT_EQ(rig.cursor["method"], "GET");
}

TEST(OrdersStream, ARestartMidWindowFinishesTheFrozenWindow) {
    OrdersRig rig(Readings{});
    const Page first = rig.step();
    ASSERT_FALSE(first.cycle_done);
    const json window = rig.cursor["window"];
    rig.clock.advance(600s);
    rig.restart();
    while (!rig.step().cycle_done) {
    }
    EXPECT_EQ(rig.cursor["watermark"], window["end"]);
    rig.expect_store_equals_truth();
}

TEST(OrdersStream, RowsShiftingBetweenPagesMakeTheWindowReadAgain) {
    OrdersRig rig(Readings{});
    rig.step();  // page 1 of the back-fill
    // Orders of the window move on now (past its frozen end): the rows after them shift up a
    // page and the window's total drops.
    for (int i = 0; i < 3; ++i) rig.sim->mall().advance(rig.open_order(), rig.now_unix() + 5);
    while (!rig.step().cycle_done) {
    }
    rig.clock.advance(30s);
    rig.cycle();
    rig.expect_store_equals_truth();
}

TEST(OrdersStream, AWindowWhoseTotalKeepsChangingEndsButKeepsItsWatermark) {
    OrdersRig rig(Readings{});
    rig.cycle();
    const json watermark = rig.cursor["watermark"];
    std::vector<std::string> fresh;
    for (int i = 0; i < 60; ++i) fresh.push_back(rig.sim->mall().create_order(rig.now_unix() - i));
    rig.clock.advance(1s);
    // An order of the window moves on after every page: the total never holds still.
    int pages = 0;
    for (; pages < 60; ++pages) {
        if (rig.step().cycle_done) break;
        ASSERT_TRUE(
            rig.sim->mall().advance(fresh[static_cast<std::size_t>(pages)], rig.now_unix() + 5));
    }
    EXPECT_LT(pages, 60);
    EXPECT_FALSE(rig.cursor.contains("window"));
    EXPECT_EQ(rig.cursor["watermark"], watermark);  // the range is read again, nothing lost
    rig.clock.advance(30s);
    rig.cycle();
    EXPECT_NE(rig.cursor["watermark"], watermark);
    rig.expect_store_equals_truth();
}

TEST(OrdersStream, ABadUnitOptionIsAConfigError) {
    OrdersRig rig(Readings{}, {{"unit", "cents"}});
    auto page = run_coro(rig.io, rig.sync->fetch_page(json()));
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::config);
}

}  // namespace
}  // namespace csync::wshoto::test
