#pragma once
// SQLite runs on its own thread: the network io_context never waits on disk. Coroutines hop to
// the database thread with `co_await db.run(fn)` and resume on their own executor afterwards.
// One thread also satisfies SQLite's one-connection-one-thread rule.

#include <type_traits>
#include <utility>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <optional>

namespace csync {

class DbExecutor {
  public:
    DbExecutor() : pool_(1) {}
    ~DbExecutor() { pool_.join(); }
    DbExecutor(const DbExecutor&) = delete;
    DbExecutor& operator=(const DbExecutor&) = delete;

    template <class F>
    auto run(F fn) -> boost::asio::awaitable<std::invoke_result_t<F>> {
        using R = std::invoke_result_t<F>;
        // co_spawn needs a default-constructible result; Result<T> is not, so wrap it.
        // The closure is named, not a temporary of the co_await expression: GCC 12 destroys
        // such temporaries twice and moves them bitwise (SSO strings in captures break).
        auto task = [fn = std::move(fn)]() mutable -> boost::asio::awaitable<std::optional<R>> {
            co_return std::optional<R>(fn());
        };
        // A database call always runs to its end, even when the caller loses a race (a stream
        // stopped mid-fetch when its lease is lost): an Asio cancellation reaching the task
        // before it starts throws on the database thread, outside any handler.
        auto out = co_await boost::asio::co_spawn(
            pool_.get_executor(), std::move(task),
            boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                                boost::asio::use_awaitable));
        co_return std::move(*out);
    }

    // Runs fn on the database thread and blocks the caller until it is done (start-up, CLI).
    template <class F>
    auto run_blocking(F fn) -> std::invoke_result_t<F> {
        using R = std::invoke_result_t<F>;
        auto fut = boost::asio::co_spawn(
            pool_.get_executor(),
            [fn = std::move(fn)]() mutable -> boost::asio::awaitable<std::optional<R>> {
                co_return std::optional<R>(fn());
            },
            boost::asio::use_future);
        return std::move(*fut.get());
    }

    void join() { pool_.join(); }

  private:
    boost::asio::thread_pool pool_;
};

}  // namespace csync
