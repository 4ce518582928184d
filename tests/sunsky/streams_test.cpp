// The Sunsky streams driven in process against the simulator (no sockets): the adapter's real
// signed requests reach the simulator's real verification, ordering and paging. The heart of it
// is the watermark loop: 300 records sharing one timestamp across page boundaries, records
// modified between page fetches, and cycles that end while records keep changing.
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/json_util.hpp"
#include "core/run_coro.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/sim_http_client.hpp"
#include "sim_call.hpp"
#include "sunsky/adapter.hpp"
#include "sunsky/simulator.hpp"
#include "sunsky/watermark.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kKey = "stream-key";
constexpr const char* kSecret = "stream-secret-value";

// 2024-06-01T12:00:00Z, 20:00 in Shanghai: after every generated catalogue time.
const std::chrono::system_clock::time_point kStart{std::chrono::seconds{1'717'243'200}};

struct Rig {
    explicit Rig(std::size_t products, int rate_limit = 0, std::string secret = kSecret)
        : clock(kStart), sim(make_options(products, rate_limit)), http(sim) {
        account.name = "sunsky-test";
        account.platform = "sunsky";
        account.base_url = "http://sim.invalid";
        account.timezone = "Asia/Shanghai";
        account.credentials = {{"key", kKey}, {"secret", std::move(secret)}};
        adapter = std::make_unique<SunskyAdapter>(
            AdapterDeps{account, http, clock, *TimeZone::from_name("Asia/Shanghai")});
    }

    SimOptions make_options(std::size_t products, int rate_limit) {
        SimOptions o;
        o.seed = 17;
        o.products = products;
        o.rate_limit_per_minute = rate_limit;
        o.credentials = {{"key", kKey}, {"secret", kSecret}};
        o.now = [this] { return clock.now(); };
        return o;
    }

    StreamSyncPtr stream(const char* name, int page_size = 0,
                         std::map<std::string, std::string> options = {}) {
        StreamConfig s;
        s.name = name;
        s.page_size = page_size;
        s.options = std::move(options);
        return adapter->make_stream(s);
    }

    // A simulator control call (POST /__sim/...), answered as JSON.
    json control(const std::string& path, std::vector<std::pair<std::string, std::string>> query) {
        SimRequest r;
        r.method = "POST";
        r.path = path;
        r.query = std::move(query);
        return json::parse(sim.control(r).body);
    }

    Result<Page> fetch(StreamSync& s, const json& cursor) {
        return csync::testing::run_coro(io, s.fetch_page(cursor));
    }

    // The platform's truth by itemNo.
    std::map<std::string, json> truth() {
        std::map<std::string, json> out;
        std::istringstream in(sim.truth_ndjson());
        std::string line;
        while (std::getline(in, line)) {
            auto j = json::parse(line);
            out[j["itemNo"].get<std::string>()] = j;
        }
        return out;
    }

    csync::testing::FakeClock clock;
    SunskySimulator sim;
    csync::testing::SimHttpClient http;
    AccountConfig account;
    std::unique_ptr<SunskyAdapter> adapter;
    boost::asio::io_context io;
};

// What the store would hold: the latest raw record per itemNo.
using Store = std::map<std::string, json>;

struct Cycle {
    int pages = 0;
    bool done = false;
    json cursor;
    std::set<std::string> seen;  // itemNos read during the cycle
};

// Runs fetch_page until cycle_done (or max_pages), applying every page to `store`, calling
// `between` after each page (mutations happen there, between two fetches).
Cycle run_cycle(Rig& rig, StreamSync& stream, json cursor, Store& store, int max_pages,
                const std::function<void()>& between = {}) {
    Cycle c;
    c.cursor = std::move(cursor);
    while (c.pages < max_pages) {
        auto page = rig.fetch(stream, c.cursor);
        if (!page.ok()) {
            ADD_FAILURE() << page.error().describe();
            return c;
        }
        ++c.pages;
        EXPECT_TRUE(page->records.dead_letters.empty());
        for (const auto& p : page->records.products) {
            store[p.external_id] = json::parse(p.raw_json);
            c.seen.insert(p.external_id);
        }
        c.cursor = page->next_cursor;
        if (page->cycle_done) {
            c.done = true;
            return c;
        }
        if (between) between();
    }
    return c;
}

void expect_store_equals_truth(Rig& rig, const Store& store) {
    auto truth = rig.truth();
    ASSERT_EQ(store.size(), truth.size());
    int mismatches = 0;
    for (const auto& [item, rec] : truth) {
        auto it = store.find(item);
        if (it == store.end() || it->second != rec) {
            ADD_FAILURE() << item << " stored "
                          << (it == store.end() ? "nothing" : it->second.dump()) << " truth "
                          << rec.dump();
            if (++mismatches > 5) return;
        }
    }
}

// A write the platform makes visible after its gmtModified (stamped when the write began) lies
// behind a watermark that already passed it. Without a lookback it is missed for good; with a
// lookback longer than the delay the next cycle reads it. The stored watermark never goes back.
TEST(SunskyProductsStream, LookbackPicksUpWritesVisibleAfterTheWatermarkPassedThem) {
    Rig rig(60);
    auto plain = rig.stream("products", 20);
    auto reaching = rig.stream("products", 20, {{"lookback", "120000"}});  // 2m, normalized
    Store store;
    Cycle first = run_cycle(rig, *plain, nullptr, store, 50);
    ASSERT_TRUE(first.done);

    // A fresh change moves the watermark up to "now".
    rig.clock.advance(30s);
    rig.sim.mutate(1);
    Cycle second = run_cycle(rig, *plain, first.cursor, store, 50);
    ASSERT_TRUE(second.done);
    const std::string watermark = second.cursor["t0"];

    // Then a write stamped 60 s ago becomes visible.
    rig.clock.advance(5s);
    auto late = rig.control("/__sim/sunsky/late-commit", {{"count", "1"}, {"seconds", "60"}});
    ASSERT_EQ(late["late"].size(), 1u) << late.dump();
    const std::string item = late["late"][0];

    Store without = store;
    Cycle missed = run_cycle(rig, *plain, second.cursor, without, 50);
    ASSERT_TRUE(missed.done);
    EXPECT_EQ(missed.seen.count(item), 0u) << "the plain watermark cannot see it";
    EXPECT_NE(without[item], rig.truth()[item]);

    Cycle caught = run_cycle(rig, *reaching, second.cursor, store, 50);
    ASSERT_TRUE(caught.done);
    EXPECT_EQ(caught.seen.count(item), 1u);
    expect_store_equals_truth(rig, store);
    EXPECT_GE(*parse_time(caught.cursor["t0"].get<std::string>()), *parse_time(watermark))
        << caught.cursor.dump();
}

// An account without products: every cycle reaches back by the lookback and finds nothing. The
// stored watermark stays where it was instead of sliding back one lookback per cycle.
TEST(SunskyProductsStream, LookbackNeverMovesTheStoredWatermarkBack) {
    Rig rig(0);
    auto stream = rig.stream("products", 20,
                             {{"lookback", "120000"}, {"modified_since", "01/01/2024 00:00:00"}});
    Store store;
    json cursor;
    for (int cycle = 0; cycle < 4; ++cycle) {
        Cycle c = run_cycle(rig, *stream, cursor, store, 10);
        ASSERT_TRUE(c.done);
        EXPECT_EQ(c.cursor["t0"], "01/01/2024 00:00:00") << "cycle " << cycle << ": " << c.cursor;
        EXPECT_FALSE(c.cursor.contains("floor_t0")) << c.cursor;
        cursor = c.cursor;
        rig.clock.advance(60s);
    }
    EXPECT_TRUE(store.empty());
}

// The platform's documented loop as written (shared/platforms/sunsky.md §6), for contrast.
struct NaiveRun {
    std::set<std::string> seen;
    bool ended = false;
};
NaiveRun naive_loop(SunskySimulator& sim, int page_size, int max_calls,
                    const std::function<void()>& between) {
    NaiveRun run;
    LocalTime t0 = *parse_time("01/01/2000 00:00:00");
    std::int64_t page = 1;
    for (int calls = 0; calls < max_calls; ++calls) {
        auto data = testing::call(sim, "product!search",
                                  {{"gmtModifiedStart", format_time(t0)},
                                   {"page", std::to_string(page)},
                                   {"pageSize", std::to_string(page_size)}},
                                  {kKey, kSecret});
        EXPECT_TRUE(data.ok());
        if (!data.ok() || (*data)["result"].empty()) {
            run.ended = true;
            break;
        }
        LocalTime t = t0;
        for (const auto& r : (*data)["result"]) {
            run.seen.insert(r["itemNo"].get<std::string>());
            t = std::max(t, *parse_time(r["gmtModified"].get<std::string>()));
        }
        if (t == t0) {
            ++page;
        } else {
            t0 = t;
            page = 1;
        }
        if (page > (*data)["pageCount"].get<std::int64_t>()) {
            run.ended = true;
            break;
        }
        between();
    }
    return run;
}

TEST(SunskyProductsStream, FullSyncEqualsTruthWithExactDecimalsAndUtcTimes) {
    Rig rig(1000);
    auto stream = rig.stream("products", 100);
    Store store;
    auto cycle = run_cycle(rig, *stream, nullptr, store, 200);
    ASSERT_TRUE(cycle.done);
    expect_store_equals_truth(rig, store);
    // About one request per 100 records plus the backward sweep of the bulk block.
    EXPECT_LE(cycle.pages, 16);
    EXPECT_EQ(cycle.cursor["t0"].get<std::string>().size(), 19u);
    EXPECT_EQ(cycle.cursor["page"], 1);
    EXPECT_FALSE(cycle.cursor.contains("cycle_start"));

    // Every request is a signed form POST to product!search.do with the platform's time format.
    for (const auto& r : rig.http.requests) {
        EXPECT_EQ(r.method, "POST");
        EXPECT_EQ(r.url, "http://sim.invalid/openapi/product!search.do");
        EXPECT_NE(r.body.find("gmtModifiedStart="), std::string::npos);
        EXPECT_NE(r.body.find("signature="), std::string::npos);
        EXPECT_EQ(r.body.find(kSecret), std::string::npos);
        EXPECT_EQ(r.connection_key, "sunsky-test");
    }

    // A page maps to exact Decimals and UTC times.
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok());
    const Product& p = page->records.products.front();
    const json raw = json::parse(p.raw_json);
    EXPECT_EQ(p.price->text(), Decimal::parse(raw["price"].get<std::string>())->text());
    auto local = *parse_time(raw["gmtModified"].get<std::string>());
    EXPECT_EQ(*p.source_modified_at, UtcTime{local.time_since_epoch() - 8h});

    // Nothing changed: the next cycle costs one request and changes nothing.
    rig.http.requests.clear();
    Store again = store;
    auto quiet = run_cycle(rig, *stream, cycle.cursor, again, 10);
    EXPECT_TRUE(quiet.done);
    EXPECT_EQ(quiet.pages, 1);
    EXPECT_EQ(again, store);
}

TEST(SunskyProductsStream, ThreeHundredEqualTimestampsAcrossPagesWithHeadMutationsMissNothing) {
    const LocalTime block = *parse_time("05/20/2024 10:00:00");
    auto mutate_head = [](Rig& rig) {
        return [&rig] {
            // The record at the head of the order (already read) moves to the end, shifting
            // every other record down by one: exactly what makes a plain page loop skip.
            ASSERT_TRUE(rig.sim.touch(rig.sim.item_at(0)));
            rig.clock.advance(1s);
        };
    };

    // The documented loop skips records for good when the head of the block is modified after
    // each of its first four pages (it then ends: the changes stopped)...
    Rig naive_rig(300);
    naive_rig.sim.set_all_modified(block);
    int budget = 4;
    auto mutate_head_4 = [&, head = mutate_head(naive_rig)] {
        if (budget-- > 0) head();
    };
    auto naive = naive_loop(naive_rig.sim, 100, 1000, mutate_head_4);
    EXPECT_TRUE(naive.ended);
    EXPECT_LT(naive.seen.size(), 300u) << "the scenario must be one that breaks the naive loop";
    // ...and never ends while the changes go on.
    Rig endless_rig(300);
    endless_rig.sim.set_all_modified(block);
    EXPECT_FALSE(naive_loop(endless_rig.sim, 100, 500, mutate_head(endless_rig)).ended);

    // This stream, with the head modified after EVERY page, reads every record and ends.
    Rig rig(300);
    rig.sim.set_all_modified(block);
    std::set<std::string> all;
    for (const auto& [item, rec] : rig.truth()) all.insert(item);
    ASSERT_EQ(all.size(), 300u);
    auto stream = rig.stream("products", 100);
    Store store;
    auto cycle = run_cycle(rig, *stream, nullptr, store, 100, mutate_head(rig));
    ASSERT_TRUE(cycle.done);
    EXPECT_EQ(cycle.seen, all) << "a record of the equal-timestamp block was skipped";
    EXPECT_LE(cycle.pages, 10);

    // The records modified meanwhile come with the next cycle: the store then equals the truth.
    auto next = run_cycle(rig, *stream, cycle.cursor, store, 20);
    ASSERT_TRUE(next.done);
    expect_store_equals_truth(rig, store);
}

TEST(SunskyProductsStream, RandomMutationsOnEveryPageOfSmallPagesMissNothing) {
    const LocalTime block = *parse_time("05/20/2024 10:00:00");
    Rig rig(300);
    rig.sim.set_all_modified(block);
    auto original = rig.truth();
    auto stream = rig.stream("products", 7);  // 43 pages: many boundaries inside the block
    Store store;
    std::set<std::string> modified_during_cycle;
    auto cycle = run_cycle(rig, *stream, nullptr, store, 1000, [&] {
        rig.sim.mutate(3);
        rig.clock.advance(1s);
    });
    ASSERT_TRUE(cycle.done);
    auto now = rig.truth();
    int untouched = 0;
    for (const auto& [item, rec] : original) {
        if (now[item] != rec) continue;  // modified during the cycle: the next cycle has it
        ++untouched;
        EXPECT_TRUE(cycle.seen.count(item)) << item << " was never read";
        EXPECT_EQ(store[item], rec);
    }
    EXPECT_GT(untouched, 0);
    EXPECT_LT(untouched, 300);  // mutations did hit the block while it was paged

    auto next = run_cycle(rig, *stream, cycle.cursor, store, 200);
    ASSERT_TRUE(next.done);
    expect_store_equals_truth(rig, store);
}

TEST(SunskyProductsStream, CyclesEndWhileRecordsKeepChangingOnEveryPage) {
    Rig rig(2000);
    auto stream = rig.stream("products", 50);
    Store store;
    int mutations = 0;
    auto busy = [&] {
        mutations += static_cast<int>(rig.sim.mutate(5));
        rig.clock.advance(1s);
    };
    // A full cycle under constant change ends, in a bounded number of pages.
    auto first = run_cycle(rig, *stream, nullptr, store, 400, busy);
    ASSERT_TRUE(first.done) << "the full cycle did not end under constant change";
    EXPECT_GT(mutations, 5 * 30);

    // Incremental cycles, with changes continuing on every page, end too (the documented
    // "repeat until no data" would not: every page brings newer records).
    json cursor = first.cursor;
    for (int i = 0; i < 5; ++i) {
        busy();  // changes go on between cycles too
        auto c = run_cycle(rig, *stream, cursor, store, 50, busy);
        ASSERT_TRUE(c.done) << "incremental cycle " << i << " did not end";
        EXPECT_LE(c.pages, 10);
        EXPECT_GT(*parse_time(c.cursor["t0"].get<std::string>()),
                  *parse_time(cursor["t0"].get<std::string>()));
        cursor = c.cursor;
    }
    // Once the changes stop, one more cycle converges to the truth.
    auto last = run_cycle(rig, *stream, cursor, store, 50);
    ASSERT_TRUE(last.done);
    expect_store_equals_truth(rig, store);
}

TEST(SunskyProductsStream, AResumedCycleCatchesUpToWhenItResumedNotToTheStaleStart) {
    // A process commits a mid-cycle cursor (with its cycle start) and dies; records change;
    // a new process resumes from that cursor. Its cycle must include those changes: the stale
    // start in the cursor must not end the resumed cycle early.
    Rig rig(600);
    auto first = rig.stream("products", 50);
    Store store;
    auto partial = run_cycle(rig, *first, nullptr, store, 3);
    ASSERT_FALSE(partial.done);
    ASSERT_TRUE(partial.cursor.contains("cycle_start"));
    rig.clock.advance(5s);
    rig.sim.mutate(30);
    rig.clock.advance(5s);
    rig.sim.mutate(200);  // four pages of 50 sharing one newer second
    rig.clock.advance(5s);

    auto restarted = rig.stream("products", 50);  // a new process: a new stream object
    auto resumed = run_cycle(rig, *restarted, partial.cursor, store, 200);
    ASSERT_TRUE(resumed.done);
    expect_store_equals_truth(rig, store);
}

TEST(SunskyProductsStream, FetchPageIsRepeatableWithTheSameCursor) {
    Rig rig(400);
    auto stream = rig.stream("products", 100);
    auto a = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(a.ok());
    auto b = rig.fetch(*stream, a->next_cursor);
    auto c = rig.fetch(*stream, a->next_cursor);
    ASSERT_TRUE(b.ok() && c.ok());
    EXPECT_EQ(b->next_cursor, c->next_cursor);
    ASSERT_EQ(b->records.products.size(), c->records.products.size());
    for (std::size_t i = 0; i < b->records.products.size(); ++i) {
        EXPECT_EQ(b->records.products[i].raw_json, c->records.products[i].raw_json);
    }
    // A transport failure comes back as it is, typed, and the cursor is not consumed.
    rig.http.fail_at(rig.http.calls() + 1, Error::transient("connection reset"));
    auto failed = rig.fetch(*stream, a->next_cursor);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().kind, ErrorKind::transient);
    auto retried = rig.fetch(*stream, a->next_cursor);
    ASSERT_TRUE(retried.ok());
    EXPECT_EQ(retried->next_cursor, b->next_cursor);
}

TEST(SunskyProductsStream, RequestsTheHttpClientSentAgainAreCounted) {
    Rig rig(50);
    auto stream = rig.stream("products", 100);
    // The HTTP client sent the list again on a fresh connection: the platform may have seen both.
    rig.http.after_call = [](const HttpRequest&, HttpResponse& response) { response.resent = 1; };
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->requests, 2);
    // A failed attempt reports its own request and resend; the next page only its own.
    rig.http.after_call = nullptr;
    Error reset = Error::transient("connection reset by peer");
    reset.resent = 1;
    rig.http.fail_at(rig.http.calls() + 1, reset);
    auto failed = rig.fetch(*stream, nullptr);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().requests, 1 + 1);
    auto again = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->requests, 1);
}

TEST(SunskyProductsStream, CallBudgetAnswerIsRateLimitedWithAWaitHint) {
    Rig rig(100, /*rate_limit=*/2);
    auto stream = rig.stream("products", 50);
    ASSERT_TRUE(rig.fetch(*stream, nullptr).ok());
    ASSERT_TRUE(rig.fetch(*stream, nullptr).ok());
    auto limited = rig.fetch(*stream, nullptr);
    ASSERT_FALSE(limited.ok());
    EXPECT_EQ(limited.error().kind, ErrorKind::rate_limited);
    EXPECT_NE(limited.error().message.find("UP_TO_API_CALL_LIMIT_IN_MINUTE"), std::string::npos);
    ASSERT_TRUE(limited.error().retry_after);
    // kStart is on a minute boundary: the whole minute plus the margin.
    EXPECT_EQ(*limited.error().retry_after, 61s);
    rig.clock.advance(61s);
    EXPECT_TRUE(rig.fetch(*stream, nullptr).ok());
}

TEST(SunskyProductsStream, WrongSecretIsAnAuthErrorNamingTheSignature) {
    Rig rig(20, 0, "not-the-secret");
    auto stream = rig.stream("products");
    auto r = rig.fetch(*stream, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::auth);
    EXPECT_NE(r.error().message.find("signature"), std::string::npos);
    EXPECT_NE(r.error().message.find("NO_PERMISSION_DUE_TO_SIGNATURE"), std::string::npos);
    EXPECT_EQ(r.error().describe().find("not-the-secret"), std::string::npos);
}

TEST(SunskyProductsStream, MalformedCursorIsAConfigError) {
    Rig rig(5);
    auto stream = rig.stream("products");
    auto r = rig.fetch(*stream, json{{"t0", "yesterday"}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
    EXPECT_EQ(rig.http.calls(), 0);
}

TEST(SunskyProductsStream, ModifiedSinceOptionSetsTheFirstT0AndIsValidated) {
    Rig rig(50);
    StreamConfig s;
    s.name = "products";
    s.options["modified_since"] = "12/31/2099 00:00:00";
    auto future = rig.adapter->make_stream(s);
    auto page = rig.fetch(*future, nullptr);
    ASSERT_TRUE(page.ok());
    EXPECT_TRUE(page->records.products.empty());
    EXPECT_TRUE(page->cycle_done);
    EXPECT_NE(rig.http.requests.back().body.find("gmtModifiedStart=12%2F31%2F2099+00%3A00%3A00"),
              std::string::npos);

    s.options["modified_since"] = "2099-12-31";
    auto bad = rig.adapter->make_stream(s);
    const int calls = rig.http.calls();
    auto r = rig.fetch(*bad, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
    EXPECT_NE(r.error().message.find("modified_since"), std::string::npos);
    EXPECT_EQ(rig.http.calls(), calls);
}

TEST(SunskyCategoriesStream, FullTreeThenOnlyTheChanged) {
    Rig rig(10);
    auto stream = rig.stream("categories");
    auto first = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_TRUE(first->cycle_done);
    EXPECT_EQ(first->records.categories.size(), rig.sim.category_count());
    EXPECT_GT(first->records.categories.size(), 10u);
    std::set<std::string> ids;
    for (const auto& c : first->records.categories) ids.insert(c.external_id);
    int top = 0;
    for (const auto& c : first->records.categories) {
        if (c.parent_external_id.empty()) {
            ++top;
        } else {
            EXPECT_TRUE(ids.count(c.parent_external_id)) << c.external_id;
        }
        EXPECT_TRUE(c.source_modified_at);
    }
    EXPECT_EQ(top, 6);
    ASSERT_EQ(rig.http.requests.size(), 1u);
    EXPECT_EQ(rig.http.requests[0].url, "http://sim.invalid/openapi/category!getChildren.do");
    const std::string t0 = first->next_cursor["t0"];
    EXPECT_EQ(t0.size(), 19u);

    // Next time only the categories modified at or after t0 (the inclusive bound) come back.
    auto second = rig.fetch(*stream, first->next_cursor);
    ASSERT_TRUE(second.ok());
    EXPECT_GE(second->records.categories.size(), 1u);
    EXPECT_LT(second->records.categories.size(), 3u);
    EXPECT_EQ(second->next_cursor["t0"], t0);
}

// An adapter with the shared vector's credentials whose HTTP client is never used: raw calls
// are built and answers read without a network.
struct RawCallRig {
    csync::testing::FakeClock clock;
    AccountConfig account = [] {
        AccountConfig a;
        a.name = "sun";
        a.base_url = "http://127.0.0.1:9";
        a.credentials = {{"key", "test_key"}, {"secret", "test_secret"}};
        return a;
    }();
    SunskySimulator unused{[] {
        SimOptions o;
        o.products = 1;
        o.credentials = {{"key", "k"}, {"secret", "s"}};
        return o;
    }()};
    csync::testing::SimHttpClient http{unused};
    SunskyAdapter adapter{AdapterDeps{account, http, clock, TimeZone::utc()}};
};

TEST(SunskyAdapter, RawResponseIsReadLikeEveryAnswerOfTheStreams) {
    RawCallRig rig;
    SunskyAdapter& adapter = rig.adapter;
    auto answer = [](int status, std::string body) {
        HttpResponse r;
        r.status = status;
        r.body = std::move(body);
        return r;
    };

    EXPECT_TRUE(adapter.read_raw_response(answer(200, R"({"result":"success","data":{}})")).ok());
    // Refusals come inside an HTTP 200: the envelope decides.
    auto sig = adapter.read_raw_response(
        answer(200, R"({"result":"error","messages":["NO_PERMISSION_DUE_TO_SIGNATURE"]})"));
    ASSERT_FALSE(sig.ok());
    EXPECT_EQ(sig.error().kind, ErrorKind::auth);
    auto limit = adapter.read_raw_response(
        answer(200, R"({"result":"error","messages":["UP_TO_API_CALL_LIMIT_IN_MINUTE"]})"));
    ASSERT_FALSE(limit.ok());
    EXPECT_EQ(limit.error().kind, ErrorKind::rate_limited);
    auto down = adapter.read_raw_response(answer(503, "<html>busy</html>"));
    ASSERT_FALSE(down.ok());
    EXPECT_EQ(down.error().kind, ErrorKind::transient);
}

TEST(SunskyAdapter, RawCallIsTheSignedRequestOfTheSharedVector) {
    RawCallRig rig;
    SunskyAdapter& adapter = rig.adapter;
    RawCall call;
    call.method = "product!search";
    call.params = {{"page", "1"}, {"pageSize", "100"}, {"gmtModifiedStart", "10/31/2013 01:23:20"}};
    call.at_unix = 1'700'000'000;  // Sunsky signs no timestamp: changes nothing
    auto r = adapter.build_raw_call(call);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->method, "POST");
    EXPECT_EQ(r->url, "http://127.0.0.1:9/openapi/product!search.do");
    EXPECT_EQ(r->body,
              "key=test_key&page=1&pageSize=100&gmtModifiedStart=10%2F31%2F2013+01%3A23%3A20"
              "&signature=855f85e48f92ec30dd2f21f89559072a");
    EXPECT_EQ(adapter.secret_values(), (std::vector<std::string>{"test_secret", "test_key"}));

    call.body = "{}";
    EXPECT_EQ(adapter.build_raw_call(call).error().kind, ErrorKind::config);
    EXPECT_EQ(adapter.spec().name, "sunsky");
    ASSERT_TRUE(adapter.spec().find_stream("products"));
    EXPECT_EQ(adapter.spec().find_stream("products")->max_page_size, 100);
    ASSERT_TRUE(adapter.spec().find_stream("categories"));
}

}  // namespace
}  // namespace csync::sunsky
