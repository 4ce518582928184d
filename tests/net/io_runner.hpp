#pragma once
// Drives one coroutine to completion on a test's io_context, which may also host servers that
// never run out of work. Shared by tests/net and tests/sim.

#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace csync::testing {

// Polls the io_context until the future is ready; throws if that takes longer than `limit`.
template <class T>
T wait_for(boost::asio::io_context& ioc, std::future<T>& future,
           std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("the operation under test did not finish in time");
        }
        if (ioc.stopped()) {
            ioc.restart();  // it ran out of work earlier; the new operation is work again
        }
        ioc.run_one_for(std::chrono::milliseconds(10));
    }
    return future.get();
}

// Starts `op` on `ioc` and returns a future of its result. co_spawn needs a default-constructible
// result (Result<T> is not), hence the optional.
template <class T>
std::future<std::optional<T>> spawn(boost::asio::io_context& ioc, boost::asio::awaitable<T> op) {
    auto wrapped = [](boost::asio::awaitable<T> inner) -> boost::asio::awaitable<std::optional<T>> {
        co_return std::optional<T>(co_await std::move(inner));
    };
    return boost::asio::co_spawn(ioc, wrapped(std::move(op)), boost::asio::use_future);
}

// Runs `op` to completion and returns its result.
template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> op,
      std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    auto future = spawn(ioc, std::move(op));
    return std::move(*wait_for(ioc, future, limit));
}

}  // namespace csync::testing
