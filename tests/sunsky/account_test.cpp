// The Sunsky account and countries streams: bills keyed by content and occurrence (prepay bills
// without a reference, several bills per order), exact amounts, the balance, and countries.
#include <variant>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/json_util.hpp"
#include "core/run_coro.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/sim_http_client.hpp"
#include "sunsky/account.hpp"
#include "sunsky/adapter.hpp"
#include "sunsky/simulator.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

TEST(SunskyBillMapping, BillsKeepExactAmountsAndIdenticalOnesAreNumbered) {
    const json prepay = *parse_json_exact(
        R"({"txType":"prepay","amount":"500.00","balance":"1200.50","gmtCreated":"06/01/2024 00:05"})");
    auto mapped = map_bill(prepay, *TimeZone::from_name("Asia/Shanghai"));
    ASSERT_TRUE(std::holds_alternative<LedgerEntry>(mapped));
    const LedgerEntry e = std::get<LedgerEntry>(mapped);
    EXPECT_EQ(e.reference, "");
    EXPECT_EQ(e.amount.text(), "500");
    EXPECT_EQ(e.balance.text(), "1200.5");
    EXPECT_EQ(format_utc_iso(e.created_at), "2024-05-31T16:05:00Z");
    std::vector<LedgerEntry> bills = {e, e, e};
    bills[1].tx_type = "createOrder";
    number_occurrences(bills);
    EXPECT_EQ(bills[0].occurrence, 1);
    EXPECT_EQ(bills[1].occurrence, 1);
    EXPECT_EQ(bills[2].occurrence, 2);
    json bad = prepay;
    bad["amount"] = "n/a";
    EXPECT_TRUE(std::holds_alternative<DeadLetter>(map_bill(bad, TimeZone::utc())));
}

TEST(SunskyCountryMapping, StatesBecomeAJsonList) {
    auto mapped = map_country(*parse_json_exact(
        R"({"id":42,"code":"US","name":"United States","shipToState":true,
            "stateList":[{"code":"TX","name":"Texas"}]})"));
    ASSERT_TRUE(std::holds_alternative<Country>(mapped));
    const Country& c = std::get<Country>(mapped);
    EXPECT_EQ(c.external_id, "42");
    EXPECT_TRUE(c.ship_to_state);
    EXPECT_EQ(json::parse(c.states_json)[0]["code"], "TX");
}

TEST(SunskyAccountStream, ACycleReadsTheBalanceAndEveryBillOfTheBackFilledDays) {
    csync::testing::FakeClock clock(
        std::chrono::system_clock::time_point{std::chrono::seconds{1'717'214'400}});
    SimOptions o;
    o.products = 10;
    o.credentials = {{"key", "k"}, {"secret", "s"}};
    o.now = [&] { return clock.now(); };
    SunskySimulator sim(o);
    csync::testing::SimHttpClient http(sim);
    AccountConfig account;
    account.name = "acc";
    account.base_url = "http://sim.invalid";
    account.credentials = {{"key", "k"}, {"secret", "s"}};
    SunskyAdapter adapter(AdapterDeps{account, http, clock, *TimeZone::from_name("Asia/Shanghai")});
    StreamConfig s;
    s.name = kAccountStream;
    s.options = {{"backfill_days", "30"}};
    auto stream = adapter.make_stream(s);
    boost::asio::io_context io;

    SimRequest truth_request;
    truth_request.method = "GET";
    truth_request.path = "/__sim/sunsky/account";
    const json truth = json::parse(sim.control(truth_request).body);

    json cursor;
    std::vector<LedgerEntry> ledger;
    std::optional<AccountBalance> balance;
    int pages = 0;
    for (; pages < 100; ++pages) {
        auto page = csync::testing::run_coro(io, stream->fetch_page(cursor));
        ASSERT_TRUE(page.ok()) << page.error().describe();
        if (page->records.balance) balance = page->records.balance;
        for (const LedgerEntry& e : page->records.ledger) ledger.push_back(e);
        EXPECT_TRUE(page->records.dead_letters.empty());
        cursor = page->next_cursor;
        if (page->cycle_done) break;
    }
    EXPECT_EQ(pages + 1, 31);  // one page per local day: today and the 30 before it
    ASSERT_TRUE(balance);
    EXPECT_EQ(balance->balance.text(), Decimal::parse(truth["balance"].get<std::string>())->text());
    // Every bill of the last 31 local days (the simulator's history is 40 days long).
    std::size_t expected = 0;
    for (const json& b : truth["bills"]) {
        const auto created = *parse_time(b["gmtCreated"].get<std::string>());
        expected += created >= *parse_time("05/02/2024");
    }
    EXPECT_EQ(ledger.size(), expected);
    std::size_t repeated = 0;
    for (const LedgerEntry& e : ledger) repeated += e.occurrence == 2;
    EXPECT_GT(repeated, 0u);

    StreamConfig c;
    c.name = kCountriesStream;
    auto countries = adapter.make_stream(c);
    auto page = csync::testing::run_coro(io, countries->fetch_page(json()));
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->records.countries.size(), 3u);
    EXPECT_TRUE(page->cycle_done);
}

}  // namespace
}  // namespace csync::sunsky
