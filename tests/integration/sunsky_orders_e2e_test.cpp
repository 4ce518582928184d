// Sunsky orders end to end: the real daemon against the real simulator's order book. Every
// stored order equals the platform's current state after status changes, and the day windows
// neither miss nor duplicate the orders placed at the edges of the platform's local days.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "csync/domain/decimal.hpp"
#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct OrdersEnv {
    TempDir dir;
    std::unique_ptr<Simulator> sim;
    fs::path config;
    fs::path db;

    explicit OrdersEnv(
        const std::string& streams = "      orders: { interval: 1h, recheck_interval: 1ms }\n") {
        sim = std::make_unique<Simulator>(
            dir, "sunsky",
            std::vector<std::string>{"--seed", "11", "--products", "80", "--key", "orders-it",
                                     "--secret", "orders-it-secret", "--rate-limit", "0"});
        config = dir / "config.yaml";
        db = dir / "store.db";
        write_file(config, "store: { path: " + db.string() +
                               " }\n"
                               "http: { listen: \"off\" }\n"
                               "accounts:\n"
                               "  - name: orders-it\n"
                               "    platform: sunsky\n"
                               "    base_url: " +
                               sim->base_url() +
                               "\n"
                               "    timezone: Asia/Shanghai\n"
                               "    credentials: { key: orders-it, secret: orders-it-secret }\n"
                               "    rate_limit: { per_second: 500, burst: 100 }\n"
                               "    streams:\n" +
                               streams);
    }

    void sync() {
        auto r = run({syncd_bin(), "sync-once", "-c", config.string()}, 120s);
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
};

std::string decimal_text(const json& v) { return Decimal::parse(v.get<std::string>())->text(); }

// The local day of a Sunsky time ("MM/dd/yyyy HH:mm").
std::chrono::sys_days local_day(const std::string& text) {
    const std::chrono::year_month_day ymd{
        std::chrono::year{std::stoi(text.substr(6, 4))},
        std::chrono::month{static_cast<unsigned>(std::stoi(text.substr(0, 2)))},
        std::chrono::day{static_cast<unsigned>(std::stoi(text.substr(3, 2)))}};
    return std::chrono::sys_days{ymd};
}

TEST(SunskyOrdersEndToEnd, EveryOrderMatchesThePlatformAfterItsStatusChangedTwice) {
    OrdersEnv env;
    env.sync();
    const auto first = std::stoll(query_one(env.db, "SELECT count(*) FROM orders"));
    ASSERT_GT(first, 60);
    // The same orders move twice, with a sync between the moves.
    json moved = env.sim->post_json("/__sim/sunsky/orders/advance?count=12")["advanced"];
    ASSERT_EQ(moved.size(), 12u);
    env.sync();
    std::set<std::string> stored_ids;
    for (auto& r : query_rows(env.db, "SELECT external_id FROM orders")) stored_ids.insert(r[0]);
    for (const json& n : moved) {
        env.sim->post_json("/__sim/sunsky/orders/advance?number=" + n.get<std::string>());
    }
    env.sim->post_json("/__sim/sunsky/orders/advance?count=20");
    env.sync();

    const json truth = env.sim->get_json("/__sim/sunsky/orders");
    auto rows = query_rows(env.db,
                           "SELECT external_id, platform_status, status, tracking_number,"
                           " total_amount, shipping_cost, subtotal_amount, pack_status,"
                           " coalesce(paid_at, ''), shipping_way, delivery_address,"
                           " (SELECT count(*) FROM order_lines l WHERE l.account = o.account"
                           "  AND l.order_external_id = o.external_id)"
                           " FROM orders o");
    std::map<std::string, std::vector<std::string>> stored;
    for (auto& r : rows) stored[r[0]] = r;
    int compared = 0;
    for (const json& t : truth) {
        auto it = stored.find(t["number"].get<std::string>());
        if (it == stored.end()) continue;  // created before the back-fill
        const auto& r = it->second;
        ++compared;
        EXPECT_EQ(r[1], std::to_string(t["status"].get<int>())) << r[0];
        const char* const statuses[] = {"", "pending", "paid", "shipped", "cancelled", "completed"};
        EXPECT_EQ(r[2], statuses[t["status"].get<int>()]) << r[0];
        EXPECT_EQ(r[3], t["trackingNumber"].get<std::string>()) << r[0];
        EXPECT_EQ(r[4], decimal_text(t["totalAmount"])) << r[0];
        EXPECT_EQ(r[5], decimal_text(t["shippingCost"])) << r[0];
        EXPECT_EQ(r[6], decimal_text(t["amount"])) << r[0];
        EXPECT_EQ(r[7], std::to_string(t["packStatus"].get<int>())) << r[0];
        EXPECT_EQ(r[8].empty(), t["gmtPaid"].get<std::string>().empty()) << r[0];
        EXPECT_EQ(r[9], t["deliveryAddress"]["shippingWay"]["name"].get<std::string>());
        EXPECT_EQ(json::parse(r[10])["receiver"], t["deliveryAddress"]["receiver"]);
        EXPECT_EQ(r[11], std::to_string(t["detailList"].size())) << r[0];
    }
    EXPECT_EQ(compared, static_cast<int>(stored.size()));
    // Each move of a stored order is one update in the change feed.
    int moved_stored = 0;
    for (const json& n : moved) moved_stored += stored_ids.contains(n.get<std::string>());
    EXPECT_GE(std::stoll(query_one(env.db,
                                   "SELECT count(*) FROM changes WHERE entity = 'order'"
                                   " AND op = 'update'")),
              moved_stored);
    EXPECT_EQ(query_one(env.db,
                        "SELECT count(*) FROM orders WHERE paid_at NOT LIKE "
                        "'____-__-__T__:__:__Z'"),
              "0");
}

TEST(SunskyOrdersEndToEnd, DayWindowsNeitherMissNorDuplicateOrdersAtLocalMidnight) {
    OrdersEnv env;
    env.sync();
    env.sync();  // today again: nothing new
    const json truth = env.sim->get_json("/__sim/sunsky/orders");
    // The platform's today is its newest order's day (every day has an order at 00:00); the
    // back-fill reads today and the 30 days before it, by the platform's local days.
    std::chrono::sys_days today{};
    for (const json& t : truth) today = std::max(today, local_day(t["gmtCreated"]));
    const auto first_day = today - std::chrono::days{30};
    std::set<std::string> expected;
    int edge_orders = 0;
    for (const json& t : truth) {
        const std::string created = t["gmtCreated"].get<std::string>();
        if (local_day(created) < first_day) continue;
        expected.insert(t["number"].get<std::string>());
        edge_orders += created.ends_with("00:00") || created.ends_with("23:59");
    }
    std::set<std::string> stored;
    for (auto& r : query_rows(env.db, "SELECT external_id FROM orders")) stored.insert(r[0]);
    EXPECT_EQ(stored, expected);
    // 00:00 in Shanghai is stored as 16:00Z the day before, 23:59 as 15:59Z: the first day's
    // 00:00 order is in, the 23:59 order of the day before it is not.
    EXPECT_EQ(query_one(env.db, "SELECT min(created_at) FROM orders").substr(11), "16:00:00Z");
    EXPECT_EQ(std::stoll(query_one(env.db,
                                   "SELECT count(*) FROM orders WHERE"
                                   " substr(created_at, 12) IN ('16:00:00Z', '15:59:00Z')")),
              edge_orders);
    // Every order was inserted exactly once.
    EXPECT_EQ(query_one(env.db,
                        "SELECT count(*) FROM changes WHERE entity = 'order'"
                        " AND op = 'insert'"),
              std::to_string(stored.size()));
}

TEST(SunskyOrdersEndToEnd, ShippingWayIsReadAtTheTopLevelToo) {
    OrdersEnv env;
    env.sim->post_json("/__sim/sunsky/orders/shape?shipping_way=top");
    env.sync();
    EXPECT_EQ(query_one(env.db, "SELECT count(*) FROM orders WHERE shipping_way IS NULL"), "0");
}

TEST(SunskyAccountEndToEnd, BalanceLedgerAndCountriesArriveAndBillsAreNotDuplicated) {
    OrdersEnv env("      account: { interval: 1h }\n      countries: { interval: 24h }\n");
    env.sync();
    env.sync();  // today's bills read again: nothing new
    const json truth = env.sim->get_json("/__sim/sunsky/account");
    EXPECT_EQ(query_one(env.db, "SELECT balance FROM account_balances"),
              decimal_text(truth["balance"]));
    // The balance in `status --json` (exact text, currency, when read) and in the table.
    auto st = run({syncd_bin(), "status", "--json", "-c", env.config.string()}, 30s);
    ASSERT_EQ(st.exit_code, 0) << st.output;
    const json doc = json::parse(st.output);
    // The account is named like its API key, which status masks: the one account it lists.
    ASSERT_EQ(doc["accounts"].size(), 1u) << st.output;
    const json& balance = doc["accounts"].begin().value()["balance"];
    EXPECT_EQ(balance["amount"], decimal_text(truth["balance"])) << st.output;
    EXPECT_EQ(balance["currency"], "USD") << st.output;
    EXPECT_EQ(balance["observed_at"],
              query_one(env.db, "SELECT observed_at FROM account_balances"));
    auto table = run({syncd_bin(), "status", "-c", env.config.string()}, 30s);
    ASSERT_EQ(table.exit_code, 0) << table.output;
    EXPECT_NE(table.output.find(": " + decimal_text(truth["balance"]) + " USD as of "),
              std::string::npos)
        << table.output;
    // Every bill of the back-filled days once, identical ones under their occurrence. The
    // daemon counts the days back from the platform's today (Asia/Shanghai: UTC+8, no DST),
    // which has no bill before 09:00, so today comes from the clock, not from the newest bill.
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now() +
                                                             std::chrono::hours{8});
    std::size_t expected = 0;
    for (const json& b : truth["bills"]) {
        expected += local_day(b["gmtCreated"]) >= today - std::chrono::days{30};
    }
    EXPECT_EQ(query_one(env.db, "SELECT count(*) FROM ledger"), std::to_string(expected));
    EXPECT_GT(std::stoll(query_one(env.db, "SELECT count(*) FROM ledger WHERE occurrence = 2")), 0);
    EXPECT_EQ(query_one(env.db,
                        "SELECT count(*) FROM ledger WHERE tx_type = 'prepay'"
                        " AND reference <> ''"),
              "0");
    EXPECT_EQ(query_one(env.db, "SELECT count(*) FROM countries"), "3");
    EXPECT_EQ(query_one(env.db, "SELECT states FROM countries WHERE code = 'US'"),
              R"([{"code":"TX","name":"Texas"},{"code":"CA","name":"California"}])");
}

}  // namespace
}  // namespace csync::it
