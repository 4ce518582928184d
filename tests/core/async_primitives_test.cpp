// StopSignal, until_stopped / sleep_until_stopped, the database executor and the real clock.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/db_executor.hpp"
#include "core/run_coro.hpp"
#include "core/stop_signal.hpp"
#include "core/system_clock.hpp"
#include "core/until_stopped.hpp"
#include "csync/error.hpp"
#include "fakes/fake_clock.hpp"

namespace csync {
namespace {

using namespace std::chrono_literals;
using boost::asio::awaitable;
using csync::testing::FakeClock;
using csync::testing::run_coro;

awaitable<int> answer(int v) { co_return v; }

// Suspends until cancelled (or, should a test forget, a real-time limit).
awaitable<int> block_until_cancelled(bool& cancelled) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 20s);
    try {
        co_await timer.async_wait(boost::asio::use_awaitable);
    } catch (const boost::system::system_error&) {
        cancelled = true;
        throw;
    }
    co_return -1;
}

awaitable<int> throws_after_a_turn() {
    co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                               boost::asio::use_awaitable);
    throw std::runtime_error("boom");
}

TEST(StopSignal, WaitCompletesAtOnceWhenAlreadyStopped) {
    boost::asio::io_context io;
    StopSignal stop(io.get_executor());
    EXPECT_FALSE(stop.stop_requested());
    stop.request_stop();
    EXPECT_TRUE(stop.stop_requested());
    run_coro(io, stop.wait());  // would hang if it waited
}

TEST(StopSignal, WakesEveryWaiter) {
    boost::asio::io_context io;
    StopSignal stop(io.get_executor());
    int woken = 0;
    for (int i = 0; i < 3; ++i) {
        boost::asio::co_spawn(
            io,
            [&]() -> awaitable<void> {
                co_await stop.wait();
                ++woken;
            },
            boost::asio::detached);
    }
    boost::asio::post(io, [&] { stop.request_stop(); });
    io.run();
    EXPECT_EQ(woken, 3);
}

TEST(UntilStopped, ReturnsTheOperationsResult) {
    boost::asio::io_context io;
    StopSignal stop(io.get_executor());
    auto r = run_coro(io, until_stopped(answer(42), stop));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 42);
    // Results that are not default-constructible pass through too.
    auto res = run_coro(
        io,
        until_stopped([]() -> awaitable<Result<int>> { co_return Error::transient("x"); }(), stop));
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->error().kind, ErrorKind::transient);
}

TEST(UntilStopped, DoesNotStartTheOperationWhenAlreadyStopped) {
    boost::asio::io_context io;
    StopSignal stop(io.get_executor());
    stop.request_stop();
    bool started = false;
    auto op = [&]() -> awaitable<int> {
        started = true;
        co_return 1;
    };
    EXPECT_FALSE(run_coro(io, until_stopped(op(), stop)).has_value());
    EXPECT_FALSE(started);
}

TEST(UntilStopped, AStopCancelsTheOperationInFlight) {
    boost::asio::io_context io;
    StopSignal stop(io.get_executor());
    bool cancelled = false;
    auto r = run_coro(io, [&]() -> awaitable<std::optional<int>> {
        // Queued behind the start of the race: the stop arrives while the operation waits.
        boost::asio::post(co_await boost::asio::this_coro::executor, [&] { stop.request_stop(); });
        co_return co_await until_stopped(block_until_cancelled(cancelled), stop);
    }());
    EXPECT_FALSE(r.has_value());
    EXPECT_TRUE(cancelled);
}

TEST(UntilStopped, AnExceptionFromTheOperationPropagatesWithoutAStop) {
    boost::asio::io_context io;
    StopSignal stop(io.get_executor());
    // Watchdog: should the race wait for the stop, end it after a real second so that the test
    // fails instead of hanging.
    boost::asio::steady_timer watchdog(io, 1s);
    watchdog.async_wait([&](boost::system::error_code ec) {
        if (!ec) stop.request_stop();
    });
    auto run = [&]() -> awaitable<void> {
        try {
            auto r = co_await until_stopped(throws_after_a_turn(), stop);
            ADD_FAILURE() << "the exception was swallowed (has_value=" << r.has_value() << ")";
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "boom");
        }
        watchdog.cancel();
    };
    run_coro(io, run());
    EXPECT_FALSE(stop.stop_requested()) << "the race waited for a stop";
}

TEST(SleepUntilStopped, SleepsOnTheClockOrReturnsFalseOnStop) {
    boost::asio::io_context io;
    StopSignal stop(io.get_executor());
    FakeClock clock;
    const auto start = clock.steady_now();
    EXPECT_TRUE(run_coro(io, sleep_until_stopped(clock, 5s, stop)));
    EXPECT_EQ(clock.steady_now() - start, std::chrono::steady_clock::duration(5s));

    stop.request_stop();
    EXPECT_FALSE(run_coro(io, sleep_until_stopped(clock, 5s, stop)));
    EXPECT_EQ(clock.sleeps().size(), 1u) << "slept although stopped";
}

TEST(SleepUntilStopped, AStopInterruptsARealSleep) {
    boost::asio::io_context io;
    StopSignal stop(io.get_executor());
    SystemClock clock;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(run_coro(io, [&]() -> awaitable<bool> {
        boost::asio::post(co_await boost::asio::this_coro::executor, [&] { stop.request_stop(); });
        co_return co_await sleep_until_stopped(clock, 1h, stop);
    }()));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(DbExecutor, RunsOnItsOwnThreadAndResumesOnTheCallers) {
    boost::asio::io_context io;
    DbExecutor db;
    const auto main_thread = std::this_thread::get_id();
    std::thread::id db_thread;
    std::thread::id resumed_on;
    auto r = run_coro(io, [&]() -> awaitable<Result<int>> {
        auto out = co_await db.run([&]() -> Result<int> {
            db_thread = std::this_thread::get_id();
            return 7;
        });
        resumed_on = std::this_thread::get_id();
        co_return out;
    }());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 7);
    EXPECT_NE(db_thread, main_thread);
    EXPECT_EQ(resumed_on, main_thread);

    // The same single thread every time (SQLite: one connection, one thread).
    std::thread::id second;
    run_coro(io, [&]() -> awaitable<void> {
        co_await db.run([&] {
            second = std::this_thread::get_id();
            return 0;
        });
    }());
    EXPECT_EQ(second, db_thread);
}

// A stream stopped mid-fetch (shutdown, a lost lease) cancels the database call it awaits: the
// call still runs to its end on the database thread (a commit is never cut short) and nothing
// throws there. Repeated with the stop at every early moment, where a cancellation used to
// reach the database thread before the call started and end the process.
TEST(DbExecutor, ACancelledCallerLetsTheCallFinishAndNothingThrowsOnTheDatabaseThread) {
    DbExecutor db;
    for (int round = 0; round < 200; ++round) {
        boost::asio::io_context io;
        StopSignal stop(io.get_executor());
        int ran = 0;
        auto call = [&]() -> awaitable<int> {
            co_return co_await db.run([&] {
                ++ran;
                return round;
            });
        };
        auto r = run_coro(io, [&]() -> awaitable<std::optional<int>> {
            boost::asio::post(co_await boost::asio::this_coro::executor,
                              [&] { stop.request_stop(); });
            co_return co_await until_stopped(call(), stop);
        }());
        EXPECT_EQ(ran, 1) << round;
        if (r) {
            EXPECT_EQ(*r, round);
        }
    }
}

TEST(DbExecutor, RunBlockingPassesErrorsAndExceptionsBack) {
    DbExecutor db;
    Status s = db.run_blocking([]() -> Status { return Error::storage("disk full"); });
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().describe(), "storage: disk full");
    EXPECT_THROW(db.run_blocking([]() -> int { throw std::runtime_error("sqlite threw"); }),
                 std::runtime_error);
}

TEST(StdRandom, SeededSequencesRepeatAndStayInUnitInterval) {
    StdRandom a(42);
    StdRandom b(42);
    for (int i = 0; i < 1000; ++i) {
        double x = a.uniform01();
        EXPECT_EQ(x, b.uniform01());
        EXPECT_GE(x, 0.0);
        EXPECT_LT(x, 1.0);
    }
}

}  // namespace
}  // namespace csync
