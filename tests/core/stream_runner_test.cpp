// The stream runner on a scripted stream and an in-memory store: paging, cursor persistence,
// retries, atomicity of a failed page, acknowledgements, stop requests and metrics.

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "core/db_executor.hpp"
#include "core/error_params.hpp"
#include "core/run_coro.hpp"
#include "core/stop_signal.hpp"
#include "core/stream_runner.hpp"
#include "core/sync_metrics.hpp"
#include "core/token_bucket.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/memory_store.hpp"
#include "fakes/scripted_stream.hpp"

namespace csync {
namespace {

using namespace std::chrono_literals;
using csync::testing::FakeClock;
using csync::testing::FakeRandom;
using csync::testing::MemoryStore;
using csync::testing::run_coro;
using csync::testing::ScriptedStream;
using nlohmann::json;

Product product(const std::string& id, const std::string& title = "title") {
    Product p;
    p.external_id = id;
    p.sku = "SKU-" + id;
    p.title = title;
    p.price = Decimal::parse("2.66");
    p.currency = "USD";
    p.raw_json = R"({"itemNo":")" + id + R"("})";
    return p;
}

PageRecords products(std::initializer_list<std::string> ids) {
    PageRecords r;
    for (const auto& id : ids) r.products.push_back(product(id));
    return r;
}

json cursor_at(int page) { return json{{"page", page}}; }

// A FakeClock seen through a probe: `on_sleep` runs when the engine starts a sleep, before the
// fake time moves.
class ProbedClock final : public Clock {
  public:
    explicit ProbedClock(FakeClock& inner) : inner_(inner) {}
    std::chrono::system_clock::time_point now() const override { return inner_.now(); }
    std::chrono::steady_clock::time_point steady_now() const override {
        return inner_.steady_now();
    }
    boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) override {
        if (on_sleep) on_sleep(d);
        co_await inner_.sleep_for(d);
    }
    std::function<void(std::chrono::steady_clock::duration)> on_sleep;

  private:
    FakeClock& inner_;
};

class StreamRunnerTest : public ::testing::Test {
  protected:
    CycleOutcome run_cycle() {
        StreamRunner runner(StreamRunnerDeps{.key = key,
                                             .sync = stream,
                                             .store = store,
                                             .db = db,
                                             .clock = *runner_clock,
                                             .random = random,
                                             .bucket = bucket,
                                             .stop = stop,
                                             .metrics = metrics,
                                             .retry = RetryPolicy(retry_options),
                                             .logger = log::Logger{},
                                             .max_pages_per_cycle = max_pages});
        // Watchdog: a cycle that hangs (waits for a stop nobody sends) ends after a real-time
        // limit with stopped=true, so the test fails on its assertions instead of timing out.
        boost::asio::steady_timer watchdog(io, 10s);
        watchdog.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                ADD_FAILURE() << "cycle hung: watchdog requested a stop";
                stop.request_stop();
            }
        });
        auto guarded = [&]() -> boost::asio::awaitable<CycleOutcome> {
            try {
                CycleOutcome out = co_await runner.run_cycle();
                watchdog.cancel();
                co_return out;
            } catch (...) {
                watchdog.cancel();
                throw;
            }
        };
        return run_coro(io, guarded());
    }

    // Page 1, then a fetch that waits until cancelled, during which a stop arrives; page 2
    // is never read.
    void script_a_stop_during_the_second_fetch() {
        stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
        stream.push_block();
        stream.push(ScriptedStream::page(products({"b"}), cursor_at(2), true));
        stream.on_fetch = [&](int call, const json&) {
            if (call == 2) boost::asio::post(io, [&] { stop.request_stop(); });
        };
    }

    StreamMetrics stream_metrics() const {
        auto all = metrics.snapshot();
        return all[{key.account, key.stream}];
    }

    bool has_product(const std::string& id) const {
        return store.product(key.account, id).has_value();
    }

    const StreamKey key{"acme", "products"};
    boost::asio::io_context io;
    StopSignal stop{io.get_executor()};
    DbExecutor db;
    FakeClock clock;
    Clock* runner_clock = &clock;
    FakeRandom random{{0.0}};
    TokenBucket bucket{clock, RateLimitConfig{.per_second = 1000.0, .burst = 1000.0}};
    SyncMetrics metrics;
    MemoryStore store;
    ScriptedStream stream;
    RetryOptions retry_options;
    std::int64_t max_pages = 1'000'000;
};

TEST_F(StreamRunnerTest, AppliesPagesInOrderAndPersistsTheCursorPerPage) {
    stream.push(ScriptedStream::page(products({"a", "b"}), cursor_at(1)));
    stream.push(ScriptedStream::page(products({"c"}), cursor_at(2)));
    stream.push(ScriptedStream::page(products({"d"}), cursor_at(3), /*cycle_done=*/true));
    // Before each fetch, the store already holds the previous page's cursor and records.
    stream.on_fetch = [&](int call, const json& cursor) {
        EXPECT_EQ(store.cursor(key).value_or(json()), cursor) << "fetch " << call;
        EXPECT_EQ(store.applied_pages(), call - 1);
    };

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.completed);
    EXPECT_FALSE(out.stopped);
    EXPECT_FALSE(out.error.has_value()) << out.error->describe();
    EXPECT_EQ(out.summary.pages, 3);
    EXPECT_EQ(out.summary.requests, 3);
    EXPECT_EQ(out.summary.stats.inserted, 4);
    EXPECT_EQ(stream.cursors(), (std::vector<json>{json(), cursor_at(1), cursor_at(2)}));
    EXPECT_EQ(store.cursor(key), cursor_at(3));
    for (const char* id : {"a", "b", "c", "d"}) EXPECT_TRUE(has_product(id)) << id;
    EXPECT_EQ(store.product(key.account, "a")->price, Decimal::parse("2.66"));

    auto runs = store.runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_TRUE(runs[0].finished);
    EXPECT_EQ(runs[0].key, key);
    EXPECT_EQ(runs[0].summary.pages, 3);
    EXPECT_FALSE(runs[0].summary.error.has_value());
    EXPECT_EQ(runs[0].started_at, std::chrono::time_point_cast<std::chrono::seconds>(clock.now()));
}

TEST_F(StreamRunnerTest, StartsFromTheCommittedCursor) {
    store.seed_cursor(key, json{{"since", "2023-09-23T02:01:02Z"}});
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(9), true));

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.completed);
    ASSERT_EQ(stream.cursors().size(), 1u);
    EXPECT_EQ(stream.cursors()[0], (json{{"since", "2023-09-23T02:01:02Z"}}));
    EXPECT_EQ(store.cursor(key), cursor_at(9));
}

TEST_F(StreamRunnerTest, TransientErrorIsRetriedWithTheSameCursor) {
    random = FakeRandom({0.5});
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
    stream.push(Error::transient("connection reset"));
    stream.push(Error::transient("HTTP 503"));
    stream.push(ScriptedStream::page(products({"b"}), cursor_at(2), true));

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.completed);
    EXPECT_FALSE(out.error.has_value());
    EXPECT_EQ(stream.cursors(),
              (std::vector<json>{json(), cursor_at(1), cursor_at(1), cursor_at(1)}));
    // Full jitter at 0.5 of a 500 ms, then 1000 ms ceiling.
    EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::steady_clock::duration>{250ms, 500ms}));
    EXPECT_EQ(store.cursor(key), cursor_at(2));
    EXPECT_TRUE(has_product("b"));
    // Failed attempts are platform calls too.
    EXPECT_EQ(out.summary.requests, 4);

    StreamMetrics m = stream_metrics();
    EXPECT_EQ(m.retries, 2);
    EXPECT_EQ(m.errors["transient"], 2);
    EXPECT_EQ(m.cycles, 1);
    EXPECT_EQ(m.cycles_failed, 0);
}

TEST_F(StreamRunnerTest, FailedAttemptsCountTheRequestsTheySent) {
    random = FakeRandom({0.5});
    // The page's third call failed after two good ones; a resend was among them.
    Error third_call_failed = failed_fetch(Error::transient("HTTP 503"), 4);
    stream.push(third_call_failed);
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), false, /*requests=*/3));
    // The last attempt is not retried, and still cost what it sent.
    stream.push(failed_fetch(Error::config("the platform refused the request as malformed"), 2));

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(out.summary.requests, 4 + 3 + 2);
    EXPECT_EQ(stream_metrics().requests, 4 + 3 + 2);
    EXPECT_EQ(store.runs().back().summary.requests, 4 + 3 + 2);
}

class StreamRunnerFatalError : public StreamRunnerTest,
                               public ::testing::WithParamInterface<Error> {};

TEST_P(StreamRunnerFatalError, EndsTheCycleAtOnceAndKeepsTheCursor) {
    const json committed{{"since", "2023-09-23T02:01:02Z"}};
    store.seed_cursor(key, committed);
    stream.push(GetParam());
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(out.error->kind, GetParam().kind);
    EXPECT_FALSE(out.completed);
    EXPECT_FALSE(out.stopped);
    EXPECT_EQ(stream.fetch_calls(), 1) << "retried a non-retryable error";
    EXPECT_TRUE(clock.sleeps().empty());
    EXPECT_EQ(store.cursor(key), committed);
    EXPECT_EQ(store.apply_calls(), 0);
    EXPECT_EQ(stream.after_commit_calls(), 0);

    auto runs = store.runs();
    ASSERT_EQ(runs.size(), 1u);
    ASSERT_TRUE(runs[0].summary.error.has_value());
    EXPECT_EQ(*runs[0].summary.error, GetParam().describe());

    StreamMetrics m = stream_metrics();
    EXPECT_EQ(m.cycles_failed, 1);
    EXPECT_EQ(m.retries, 0);
    EXPECT_EQ(m.errors[std::string(to_string(GetParam().kind))], 1);
    EXPECT_EQ(m.last_error, GetParam().describe());
    EXPECT_EQ(m.last_success_unix, 0);
    EXPECT_FALSE(m.running);
}

INSTANTIATE_TEST_SUITE_P(Kinds, StreamRunnerFatalError,
                         ::testing::Values(Error::auth("signature rejected"),
                                           Error::config("malformed request"),
                                           Error::storage("adapter-side storage"),
                                           Error::cancelled("cancelled without a stop")),
                         testing::KindName);

TEST_F(StreamRunnerTest, BadResponseGivesUpAfterThreeAttempts) {
    for (int i = 0; i < 3; ++i) stream.push(Error::bad_response("truncated JSON"));
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(out.error->kind, ErrorKind::bad_response);
    EXPECT_EQ(stream.fetch_calls(), 3);
    EXPECT_EQ(clock.sleeps().size(), 2u);
    EXPECT_FALSE(store.cursor(key).has_value());
    EXPECT_EQ(stream_metrics().errors["bad_response"], 3);
}

TEST_F(StreamRunnerTest, TransientGivesUpAfterMaxAttempts) {
    retry_options.max_attempts = 4;
    for (int i = 0; i < 4; ++i) stream.push(Error::transient("timeout"));
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(out.error->kind, ErrorKind::transient);
    EXPECT_EQ(stream.fetch_calls(), 4);
    EXPECT_EQ(stream_metrics().retries, 3);
    EXPECT_FALSE(has_product("a"));
}

TEST_F(StreamRunnerTest, StoreFailureAtPageKLeavesPageKMinusOneCommitted) {
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
    stream.push(ScriptedStream::page(products({"b", "c"}), cursor_at(2)));
    store.fail_apply_at(2);

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(out.error->kind, ErrorKind::storage);
    EXPECT_EQ(stream.fetch_calls(), 2) << "a storage error must not be retried";
    EXPECT_EQ(store.cursor(key), cursor_at(1));
    EXPECT_TRUE(has_product("a"));
    EXPECT_FALSE(has_product("b"));
    EXPECT_FALSE(has_product("c"));
    EXPECT_EQ(stream.committed_cursors(), std::vector<json>{cursor_at(1)})
        << "page 2 was acknowledged although it was not committed";
    EXPECT_EQ(out.summary.pages, 1);
    EXPECT_EQ(stream_metrics().pages, 1);

    // The next cycle resumes from page 1's cursor and fetches page 2 again.
    stream.push(ScriptedStream::page(products({"b", "c"}), cursor_at(2)));
    stream.push(ScriptedStream::page(products({"d"}), cursor_at(3), true));
    CycleOutcome again = run_cycle();

    EXPECT_TRUE(again.completed);
    EXPECT_EQ(stream.cursors(),
              (std::vector<json>{json(), cursor_at(1), cursor_at(1), cursor_at(2)}));
    EXPECT_EQ(store.cursor(key), cursor_at(3));
    for (const char* id : {"a", "b", "c", "d"}) EXPECT_TRUE(has_product(id)) << id;
}

TEST_F(StreamRunnerTest, FetchAheadFetchesPageNPlusOneWhilePageNCommits) {
    stream.fetch_ahead = true;
    stream.push(ScriptedStream::page(products({"a", "b"}), cursor_at(1)));
    stream.push(ScriptedStream::page(products({"c"}), cursor_at(2)));
    stream.push(ScriptedStream::page(products({"d"}), cursor_at(3), /*cycle_done=*/true));
    // Page N is acknowledged only once its commit and the fetch of N+1 are both done: fetch
    // N+1 starts before N's acknowledgement, and never before N-1 is committed.
    stream.on_fetch = [&](int call, const json&) {
        EXPECT_EQ(stream.after_commit_calls(), std::max(0, call - 2)) << "fetch " << call;
        EXPECT_GE(store.applied_pages(), call - 2) << "fetch " << call;
    };
    stream.on_after_commit = [&](int call, const Page& page) {
        EXPECT_EQ(store.cursor(key), page.next_cursor) << "ack " << call << " before commit";
    };

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.completed);
    EXPECT_FALSE(out.error.has_value()) << out.error->describe();
    EXPECT_EQ(out.summary.pages, 3);
    EXPECT_EQ(out.summary.requests, 3);
    EXPECT_EQ(out.summary.stats.inserted, 4);
    EXPECT_EQ(stream.cursors(), (std::vector<json>{json(), cursor_at(1), cursor_at(2)}));
    EXPECT_EQ(stream.committed_cursors(),
              (std::vector<json>{cursor_at(1), cursor_at(2), cursor_at(3)}));
    EXPECT_EQ(store.cursor(key), cursor_at(3));
    for (const char* id : {"a", "b", "c", "d"}) EXPECT_TRUE(has_product(id)) << id;
}

TEST_F(StreamRunnerTest, FetchAheadAFailedCommitLeavesThePageFetchedMeanwhileUncommitted) {
    stream.fetch_ahead = true;
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
    stream.push(ScriptedStream::page(products({"b"}), cursor_at(2)));
    stream.push(ScriptedStream::page(products({"c"}), cursor_at(3)));
    stream.push(ScriptedStream::page(products({"d"}), cursor_at(4), true));
    store.fail_apply_at(2);

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(out.error->kind, ErrorKind::storage);
    EXPECT_EQ(store.apply_calls(), 2) << "page 3 was applied after page 2 failed";
    EXPECT_EQ(store.cursor(key), cursor_at(1));
    EXPECT_TRUE(has_product("a"));
    for (const char* id : {"b", "c", "d"}) EXPECT_FALSE(has_product(id)) << id;
    EXPECT_EQ(stream.committed_cursors(), std::vector<json>{cursor_at(1)});
    EXPECT_EQ(out.summary.pages, 1);
}

TEST_F(StreamRunnerTest, FetchAheadAFailedCommitCancelsTheFetchInFlight) {
    stream.fetch_ahead = true;
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
    stream.push_block();  // fetch #2 waits until cancelled
    store.fail_apply_at(1);

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(out.error->kind, ErrorKind::storage);
    EXPECT_FALSE(out.stopped);
    EXPECT_EQ(stream.cancelled_fetches(), 1);
    EXPECT_FALSE(store.cursor(key).has_value());
    EXPECT_FALSE(has_product("a"));
    EXPECT_EQ(stream.after_commit_calls(), 0);
    EXPECT_EQ(stream_metrics().errors.count("cancelled"), 0u)
        << "the abandoned fetch is not the platform's error";
}

TEST_F(StreamRunnerTest, FetchAheadAStopDuringTheFetchKeepsThePageThatCommitted) {
    stream.fetch_ahead = true;
    script_a_stop_during_the_second_fetch();

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.stopped);
    EXPECT_FALSE(out.error.has_value()) << out.error->describe();
    EXPECT_EQ(stream.cancelled_fetches(), 1);
    EXPECT_EQ(store.cursor(key), cursor_at(1));
    EXPECT_TRUE(has_product("a"));
    EXPECT_FALSE(has_product("b"));
}

TEST_F(StreamRunnerTest, AfterCommitRunsOnlyOnceThePageIsCommitted) {
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
    stream.push(ScriptedStream::page(products({"b"}), cursor_at(2), true));
    stream.on_after_commit = [&](int call, const Page& page) {
        EXPECT_EQ(store.cursor(key), page.next_cursor) << "ack " << call << " before commit";
        for (const auto& p : page.records.products) EXPECT_TRUE(has_product(p.external_id));
    };

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.completed);
    EXPECT_EQ(stream.after_commit_calls(), 2);
    EXPECT_EQ(stream.committed_cursors(), (std::vector<json>{cursor_at(1), cursor_at(2)}));
}

TEST_F(StreamRunnerTest, AcknowledgementCallsCountInTheRunAndTheMetrics) {
    // Wangdiantong acknowledges every id with its own call: a run that leaves them out would
    // report a fraction of the platform calls it really made.
    stream.push(ScriptedStream::page(products({"a", "b"}), cursor_at(1), false, /*requests=*/2));
    stream.push(ScriptedStream::page(products({"c"}), cursor_at(2), true, /*requests=*/1));
    stream.on_after_commit = [](int, Page& page) { page.requests += page.records.size(); };

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.completed);
    EXPECT_EQ(out.summary.requests, 2 + 2 + 1 + 1);
    EXPECT_EQ(stream_metrics().requests, 6);
    ASSERT_EQ(store.runs().size(), 1u);
    EXPECT_EQ(store.runs().back().summary.requests, 6);
}

TEST_F(StreamRunnerTest, NoAcknowledgementForAPageThatFailedToApply) {
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));
    store.fail_apply_at(1);

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(stream.after_commit_calls(), 0);
    EXPECT_FALSE(store.cursor(key).has_value());
}

TEST_F(StreamRunnerTest, AfterCommitFailureDoesNotFailTheCycle) {
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
    stream.push(ScriptedStream::page(products({"b"}), cursor_at(2), true));
    stream.fail_after_commit_at(1, Error::transient("ack endpoint down"));

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.completed);
    EXPECT_FALSE(out.error.has_value());
    EXPECT_EQ(store.cursor(key), cursor_at(2));
    EXPECT_EQ(stream.after_commit_calls(), 2);
    StreamMetrics m = stream_metrics();
    EXPECT_EQ(m.ack_failures, 1);
    EXPECT_EQ(m.cycles_failed, 0);
}

TEST_F(StreamRunnerTest, StopAfterACommitEndsTheCycleStoppedAndConsistent) {
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
    stream.push(ScriptedStream::page(products({"b"}), cursor_at(2), true));
    stream.on_after_commit = [&](int, const Page&) { stop.request_stop(); };

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.stopped);
    EXPECT_FALSE(out.completed);
    EXPECT_FALSE(out.error.has_value());
    EXPECT_EQ(stream.fetch_calls(), 1);
    EXPECT_EQ(store.cursor(key), cursor_at(1));
    EXPECT_TRUE(has_product("a"));
    EXPECT_FALSE(has_product("b"));
    auto runs = store.runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_TRUE(runs[0].finished);
    ASSERT_TRUE(runs[0].summary.error.has_value());
    EXPECT_NE(runs[0].summary.error->find("stopped"), std::string::npos);
    EXPECT_EQ(stream_metrics().cycles_failed, 0) << "a stop is not a failure";
}

TEST_F(StreamRunnerTest, StopDuringAFetchInFlightCancelsItAndKeepsTheStoreConsistent) {
    script_a_stop_during_the_second_fetch();

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.stopped);
    EXPECT_FALSE(out.completed);
    EXPECT_FALSE(out.error.has_value()) << out.error->describe();
    EXPECT_EQ(stream.cancelled_fetches(), 1);
    EXPECT_EQ(stream.fetch_calls(), 2);
    EXPECT_EQ(store.cursor(key), cursor_at(1));
    EXPECT_TRUE(has_product("a"));
    EXPECT_FALSE(has_product("b"));
    EXPECT_EQ(stream.after_commit_calls(), 1);
}

TEST_F(StreamRunnerTest, StopDuringBackoffEndsTheCycleWithoutAnotherFetch) {
    random = FakeRandom({0.9});
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
    stream.push(Error::transient("HTTP 502"));
    stream.push(ScriptedStream::page(products({"b"}), cursor_at(2), true));
    stream.on_fetch = [&](int call, const json&) {
        if (call == 2) boost::asio::post(io, [&] { stop.request_stop(); });
    };

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.stopped);
    EXPECT_FALSE(out.error.has_value());
    EXPECT_EQ(stream.fetch_calls(), 2);
    EXPECT_EQ(store.cursor(key), cursor_at(1));
    EXPECT_FALSE(has_product("b"));
}

TEST_F(StreamRunnerTest, AStopRequestedBeforeTheCycleFetchesNothing) {
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));
    stop.request_stop();

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.stopped);
    EXPECT_EQ(stream.fetch_calls(), 0);
    EXPECT_FALSE(store.cursor(key).has_value());
}

TEST_F(StreamRunnerTest, RateLimitedWithRetryAfterWaitsAtLeastThatLong) {
    random = FakeRandom({0.0});
    const auto start = clock.steady_now();
    stream.push(Error::rate_limited("HTTP 429", 30s));
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));
    std::chrono::steady_clock::duration waited{};
    stream.on_fetch = [&](int call, const json&) {
        if (call == 2) waited = clock.steady_now() - start;
    };

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.completed);
    EXPECT_GE(waited, std::chrono::steady_clock::duration(30s));
    ASSERT_EQ(clock.sleeps().size(), 1u);
    EXPECT_GE(clock.sleeps()[0], std::chrono::steady_clock::duration(30s));
    EXPECT_EQ(stream_metrics().errors["rate_limited"], 1);
    EXPECT_EQ(stream_metrics().retries, 1);
}

TEST_F(StreamRunnerTest, RateLimitedPausesTheAccountBucket) {
    // The bucket is shared with the account's other streams: they must hold off too, for as
    // long as the runner itself waits.
    ProbedClock probed(clock);
    runner_clock = &probed;
    std::vector<std::chrono::steady_clock::duration> bucket_waits;
    probed.on_sleep = [&](auto) { bucket_waits.push_back(bucket.wait_needed()); };
    stream.push(Error::rate_limited("HTTP 429", 10s));
    stream.push(Error::transient("HTTP 503"));
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));

    CycleOutcome out = run_cycle();

    EXPECT_TRUE(out.completed);
    ASSERT_EQ(bucket_waits.size(), 2u);
    EXPECT_EQ(bucket_waits[0], std::chrono::steady_clock::duration(10s));
    EXPECT_EQ(bucket_waits[1], std::chrono::steady_clock::duration::zero())
        << "a transient error must not pause the account";
}

TEST_F(StreamRunnerTest, AnExceptionFromTheAdapterPropagatesInsteadOfHanging) {
    // The scheduler catches it and goes on; until then the cycle must not wait for a stop.
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1)));
    stream.push_throw("mapping bug: type must be string, but is null");

    try {
        run_cycle();
        ADD_FAILURE() << "the exception was swallowed";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "mapping bug: type must be string, but is null");
    }
    EXPECT_FALSE(stop.stop_requested());
    EXPECT_EQ(store.cursor(key), cursor_at(1)) << "the committed page stays committed";
}

TEST_F(StreamRunnerTest, MaxPagesPerCycleEndsTheCycleWithoutError) {
    max_pages = 2;
    for (int i = 1; i <= 3; ++i) stream.push(ScriptedStream::page(products({"p"}), cursor_at(i)));

    CycleOutcome out = run_cycle();

    EXPECT_FALSE(out.completed);
    EXPECT_FALSE(out.stopped);
    EXPECT_FALSE(out.error.has_value());
    EXPECT_EQ(out.summary.pages, 2);
    EXPECT_EQ(stream.fetch_calls(), 2);
    EXPECT_EQ(store.cursor(key), cursor_at(2));
}

TEST_F(StreamRunnerTest, CursorLoadFailureEndsTheCycleBeforeAnyFetch) {
    store.fail_load_cursor(Error::storage("database is locked"));
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(out.error->kind, ErrorKind::storage);
    EXPECT_EQ(stream.fetch_calls(), 0);
    auto runs = store.runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_TRUE(runs[0].finished) << "the run is closed even when it failed early";
    EXPECT_FALSE(stream_metrics().running);
}

TEST_F(StreamRunnerTest, RunStartFailureEndsTheCycle) {
    store.fail_begin_run(Error::storage("disk full"));
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));

    CycleOutcome out = run_cycle();

    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(out.error->kind, ErrorKind::storage);
    EXPECT_EQ(stream.fetch_calls(), 0);
    EXPECT_TRUE(store.runs().empty());
}

TEST_F(StreamRunnerTest, MetricsCountEveryCycleAndPage) {
    PageRecords first = products({"a", "b"});
    first.dead_letters.push_back(DeadLetter{"itemNo=x", "{}", "price is not a decimal"});
    stream.push(ScriptedStream::page(first, cursor_at(1), false, /*requests=*/2));
    stream.push(ScriptedStream::page(products({"c"}), cursor_at(2), true, 3));
    CycleOutcome one = run_cycle();
    ASSERT_TRUE(one.completed);
    EXPECT_EQ(one.summary.stats.dead_lettered, 1);

    // Second cycle: "a" unchanged, "b" updated, "c" tombstoned, "d" new.
    PageRecords second;
    second.products = {product("a"), product("b", "new title"), product("d")};
    second.deleted_product_ids = {"c", "never-seen"};
    stream.push(ScriptedStream::page(second, cursor_at(3), true, 1));
    clock.advance(5min);
    CycleOutcome two = run_cycle();
    ASSERT_TRUE(two.completed);
    EXPECT_EQ(two.summary.stats.inserted, 1);
    EXPECT_EQ(two.summary.stats.updated, 1);
    EXPECT_EQ(two.summary.stats.unchanged, 1);
    EXPECT_EQ(two.summary.stats.deleted, 1);

    StreamMetrics m = stream_metrics();
    EXPECT_EQ(m.cycles, 2);
    EXPECT_EQ(m.cycles_failed, 0);
    EXPECT_EQ(m.pages, 3);
    EXPECT_EQ(m.requests, 6);
    EXPECT_EQ(m.inserted, 4);
    EXPECT_EQ(m.updated, 1);
    EXPECT_EQ(m.unchanged, 1);
    EXPECT_EQ(m.deleted, 1);
    EXPECT_EQ(m.dead_lettered, 1);
    EXPECT_EQ(m.retries, 0);
    EXPECT_TRUE(m.errors.empty());
    EXPECT_FALSE(m.running);
    EXPECT_TRUE(m.last_error.empty());
    EXPECT_EQ(
        m.last_success_unix,
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count());
    EXPECT_EQ(store.product(key.account, "c")->status, ProductStatus::deleted);
    EXPECT_EQ(store.dead_letters(key).size(), 1u);
}

TEST_F(StreamRunnerTest, AFailedCycleAfterASuccessKeepsTheLastSuccessTime) {
    stream.push(ScriptedStream::page(products({"a"}), cursor_at(1), true));
    ASSERT_TRUE(run_cycle().completed);
    const std::int64_t success = stream_metrics().last_success_unix;
    EXPECT_GT(success, 0);

    clock.advance(1h);
    stream.push(Error::auth("key revoked"));
    CycleOutcome out = run_cycle();
    ASSERT_TRUE(out.error.has_value());

    StreamMetrics m = stream_metrics();
    EXPECT_EQ(m.last_success_unix, success);
    EXPECT_EQ(m.cycles, 2);
    EXPECT_EQ(m.cycles_failed, 1);
    EXPECT_EQ(m.last_error, "auth: key revoked");
}

}  // namespace
}  // namespace csync
