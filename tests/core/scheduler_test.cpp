// The scheduler: first cycle at start, jittered intervals, no self-overlap, parking on auth
// errors, run-once mode, and stop.

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/run_coro.hpp"
#include "core/scheduler.hpp"
#include "core/stop_signal.hpp"
#include "fakes/fake_clock.hpp"

namespace csync {
namespace {

using namespace std::chrono_literals;
using csync::testing::FakeClock;
using csync::testing::FakeRandom;
using csync::testing::run_coro;
using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

// What one job saw of its own cycles.
struct JobProbe {
    std::vector<TimePoint> starts;
    int in_flight = 0;
    int max_in_flight = 0;
};

// Yields to the io_context once: lets other coroutines run.
boost::asio::awaitable<void> yield() {
    co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                               boost::asio::use_awaitable);
}

class SchedulerTest : public ::testing::Test {
  protected:
    // A job whose cycle records itself in `probe`, optionally sleeps `busy` on the fake clock,
    // then returns what `outcome(call)` says (call is 1-based).
    ScheduledJob job(StreamKey key, std::chrono::seconds interval, JobProbe& probe,
                     std::function<CycleOutcome(int call)> outcome = {},
                     Duration busy = Duration::zero()) {
        ScheduledJob j;
        j.key = key;
        j.interval = interval;
        j.run_cycle = [this, &probe, outcome = std::move(outcome), busy,
                       key]() -> boost::asio::awaitable<CycleOutcome> {
            probe.starts.push_back(clock.steady_now());
            calls_in_order.push_back(key.account + "/" + key.stream);
            ++probe.in_flight;
            probe.max_in_flight = std::max(probe.max_in_flight, probe.in_flight);
            if (busy > Duration::zero()) co_await clock.sleep_for(busy);
            --probe.in_flight;
            co_return outcome ? outcome(static_cast<int>(probe.starts.size())) : CycleOutcome{};
        };
        return j;
    }

    // An outcome that requests a stop at call `n`.
    std::function<CycleOutcome(int)> stop_at(int n) {
        return [this, n](int call) {
            if (call >= n) stop.request_stop();
            return CycleOutcome{};
        };
    }

    static CycleOutcome failed(Error e) {
        CycleOutcome o;
        o.error = std::move(e);
        return o;
    }

    void run(Scheduler& s, bool once = false) { run_coro(io, s.run(once)); }

    boost::asio::io_context io;
    StopSignal stop{io.get_executor()};
    FakeClock clock;
    FakeRandom random{{0.5}};
    std::vector<std::string> calls_in_order;
};

TEST_F(SchedulerTest, NextDelayIsTheIntervalWithinTenPercent) {
    FakeRandom low({0.0});
    FakeRandom high({0.999});
    FakeRandom mid({0.5});
    Scheduler s_low(clock, low, stop, log::Logger{});
    Scheduler s_high(clock, high, stop, log::Logger{});
    Scheduler s_mid(clock, mid, stop, log::Logger{});
    EXPECT_EQ(s_low.next_delay(100s), Duration(90s));
    EXPECT_LE(std::chrono::abs(s_high.next_delay(100s) - Duration(109'980ms)), 1us);
    EXPECT_LE(std::chrono::abs(s_mid.next_delay(100s) - Duration(100s)), 1us);
    for (auto interval : {1s, 60s, 300s, 86400s}) {
        EXPECT_GE(s_low.next_delay(interval), Duration(interval) * 9 / 10);
        EXPECT_LE(s_high.next_delay(interval), Duration(interval) * 11 / 10);
    }
}

TEST_F(SchedulerTest, RunOnceRunsEachJobExactlyOnce) {
    Scheduler s(clock, random, stop, log::Logger{});
    JobProbe a, b, c;
    s.add_job(job({"a", "products"}, 60s, a));
    s.add_job(job({"a", "stock"}, 60s, b));
    s.add_job(job({"b", "products"}, 3600s, c));

    run(s, /*once=*/true);

    EXPECT_EQ(a.starts.size(), 1u);
    EXPECT_EQ(b.starts.size(), 1u);
    EXPECT_EQ(c.starts.size(), 1u);
    EXPECT_TRUE(clock.sleeps().empty()) << "run-once must not wait for an interval";
    EXPECT_FALSE(stop.stop_requested());
}

TEST_F(SchedulerTest, RunWithoutJobsReturns) {
    Scheduler s(clock, random, stop, log::Logger{});
    run(s);
    EXPECT_TRUE(clock.sleeps().empty());
}

TEST_F(SchedulerTest, EveryJobRunsAtStartBeforeAnyJobRepeats) {
    Scheduler s(clock, random, stop, log::Logger{});
    JobProbe a, b, c;
    s.add_job(job({"a", "products"}, 10s, a, stop_at(3)));
    s.add_job(job({"a", "stock"}, 600s, b));
    s.add_job(job({"b", "orders"}, 3600s, c));

    run(s);

    ASSERT_GE(calls_in_order.size(), 3u);
    std::set<std::string> first_three(calls_in_order.begin(), calls_in_order.begin() + 3);
    EXPECT_EQ(first_three, (std::set<std::string>{"a/products", "a/stock", "b/orders"}));
    EXPECT_EQ(a.starts.size(), 3u);
}

TEST_F(SchedulerTest, FirstCycleAtStartThenJitteredIntervals) {
    FakeRandom jitter({0.0, 0.999, 0.5});
    Scheduler s(clock, jitter, stop, log::Logger{});
    JobProbe p;
    const TimePoint start = clock.steady_now();
    s.add_job(job({"a", "products"}, 100s, p, stop_at(4)));

    run(s);

    ASSERT_EQ(p.starts.size(), 4u);
    EXPECT_EQ(p.starts[0], start) << "the first cycle runs at start, not after an interval";
    const Duration expected[] = {90s, 109'980ms, 100s};
    for (std::size_t i = 1; i < p.starts.size(); ++i) {
        Duration gap = p.starts[i] - p.starts[i - 1];
        EXPECT_LE(std::chrono::abs(gap - expected[i - 1]), 1us) << "gap " << i;
        EXPECT_GE(gap, Duration(90s));
        EXPECT_LE(gap, Duration(110s));
    }
}

TEST_F(SchedulerTest, AJobNeverOverlapsItself) {
    Scheduler s(clock, random, stop, log::Logger{});
    JobProbe p;
    // Each cycle takes 60 s, six times the interval.
    s.add_job(job({"a", "products"}, 10s, p, stop_at(4), 60s));

    run(s);

    ASSERT_EQ(p.starts.size(), 4u);
    EXPECT_EQ(p.max_in_flight, 1);
    for (std::size_t i = 1; i < p.starts.size(); ++i) {
        // The next cycle is scheduled from the end of the previous one.
        EXPECT_GE(p.starts[i] - p.starts[i - 1], Duration(60s + 9s)) << i;
    }
}

TEST_F(SchedulerTest, TheIdleHandlerRunsBetweenCyclesNotAfterTheLast) {
    Scheduler s(clock, random, stop, log::Logger{});
    JobProbe p;
    s.add_job(job({"a", "products"}, 10s, p, stop_at(3)));
    std::vector<std::size_t> cycles_before_idle;
    s.on_idle([&]() -> boost::asio::awaitable<void> {
        cycles_before_idle.push_back(p.starts.size());
        co_return;
    });

    run(s);

    ASSERT_EQ(p.starts.size(), 3u);
    EXPECT_EQ(cycles_before_idle, (std::vector<std::size_t>{1, 2}));
}

TEST_F(SchedulerTest, AuthErrorParksTheAccountAndOthersKeepRunning) {
    Scheduler s(clock, random, stop, log::Logger{});
    std::vector<std::pair<std::string, std::string>> parked_calls;
    s.on_park(
        [&](const std::string& account, const std::string& reason) -> boost::asio::awaitable<void> {
            parked_calls.emplace_back(account, reason);
            co_await yield();
        });
    JobProbe a_products, a_stock, b_products;
    auto auth = [](int) { return failed(Error::auth("signature rejected")); };
    // Both of account a's streams fail auth in their first cycle (both are in flight at once).
    s.add_job(job({"a", "products"}, 60s, a_products, auth, 1s));
    s.add_job(job({"a", "stock"}, 60s, a_stock, auth, 1s));
    s.add_job(job({"b", "products"}, 60s, b_products, stop_at(5)));

    run(s);

    EXPECT_EQ(a_products.starts.size(), 1u) << "a parked account ran again";
    EXPECT_LE(a_stock.starts.size(), 1u) << "a parked account ran again";
    EXPECT_EQ(b_products.starts.size(), 5u);
    ASSERT_EQ(parked_calls.size(), 1u) << "the park handler runs once per account";
    EXPECT_EQ(parked_calls[0].first, "a");
    EXPECT_EQ(parked_calls[0].second, "auth: signature rejected");
    EXPECT_TRUE(s.parked("a"));
    EXPECT_FALSE(s.parked("b"));
}

TEST_F(SchedulerTest, OtherFailuresDoNotPark) {
    Scheduler s(clock, random, stop, log::Logger{});
    int handler_calls = 0;
    s.on_park([&](const std::string&, const std::string&) -> boost::asio::awaitable<void> {
        ++handler_calls;
        co_return;
    });
    JobProbe p;
    s.add_job(job({"a", "products"}, 60s, p, [this](int call) {
        if (call >= 4) stop.request_stop();
        // Config-typed answers (e.g. clock skew) and transient ones are retried next interval.
        return failed(call % 2 ? Error::config("timestamp out of range")
                               : Error::transient("timeout"));
    }));

    run(s);

    EXPECT_EQ(p.starts.size(), 4u);
    EXPECT_FALSE(s.parked("a"));
    EXPECT_EQ(handler_calls, 0);
}

TEST_F(SchedulerTest, RunOnceWithAnAuthFailureParksAndReturns) {
    Scheduler s(clock, random, stop, log::Logger{});
    int handler_calls = 0;
    s.on_park([&](const std::string&, const std::string&) -> boost::asio::awaitable<void> {
        ++handler_calls;
        co_return;
    });
    JobProbe a, b;
    s.add_job(job({"a", "products"}, 60s, a, [](int) { return failed(Error::auth("bad key")); }));
    s.add_job(job({"b", "products"}, 60s, b));

    run(s, /*once=*/true);

    EXPECT_EQ(a.starts.size(), 1u);
    EXPECT_EQ(b.starts.size(), 1u);
    EXPECT_EQ(handler_calls, 1);
    EXPECT_TRUE(s.parked("a"));
}

TEST_F(SchedulerTest, StopEndsRunAndNoCycleStartsAfterIt) {
    Scheduler s(clock, random, stop, log::Logger{});
    JobProbe a, b;
    s.add_job(job({"a", "products"}, 60s, a));
    s.add_job(job({"b", "products"}, 300s, b));
    std::size_t cycles_at_stop = 0;
    bool run_returned = false;

    run_coro(io, [&]() -> boost::asio::awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        // Stop from outside the jobs once both have cycled a few times.
        boost::asio::co_spawn(
            ex,
            [&]() -> boost::asio::awaitable<void> {
                while (a.starts.size() < 3 || b.starts.size() < 3) co_await yield();
                cycles_at_stop = a.starts.size() + b.starts.size();
                stop.request_stop();
            },
            boost::asio::detached);
        co_await s.run();
        run_returned = true;
    }());

    EXPECT_TRUE(run_returned);
    EXPECT_EQ(a.starts.size() + b.starts.size(), cycles_at_stop);
}

TEST_F(SchedulerTest, StopEndsRunWhileAnAccountIsParked) {
    Scheduler s(clock, random, stop, log::Logger{});
    JobProbe a;
    s.add_job(job({"a", "products"}, 60s, a, [](int) { return failed(Error::auth("revoked")); }));

    run_coro(io, [&]() -> boost::asio::awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        boost::asio::co_spawn(
            ex,
            [&]() -> boost::asio::awaitable<void> {
                while (!s.parked("a")) co_await yield();
                // Parked jobs wait for the stop: give them a few turns to prove they do.
                for (int i = 0; i < 10; ++i) co_await yield();
                stop.request_stop();
            },
            boost::asio::detached);
        co_await s.run();
    }());

    EXPECT_EQ(a.starts.size(), 1u);
    // At most the one interval sleep that followed the failed cycle: a parked job does not poll.
    EXPECT_LE(clock.sleeps().size(), 1u);
}

TEST_F(SchedulerTest, AnExceptionInACycleDoesNotEndTheJob) {
    Scheduler s(clock, random, stop, log::Logger{});
    JobProbe p;
    s.add_job(job({"a", "products"}, 60s, p, [this](int call) -> CycleOutcome {
        if (call == 1) throw std::runtime_error("adapter bug");
        if (call >= 3) stop.request_stop();
        return CycleOutcome{};
    }));

    run(s);

    EXPECT_EQ(p.starts.size(), 3u);
    EXPECT_FALSE(s.parked("a"));
}

}  // namespace
}  // namespace csync
