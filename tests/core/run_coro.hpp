#pragma once
// Runs one coroutine to completion on a test's io_context and hands back its result (or
// rethrows its exception), so engine tests read like plain function calls.

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace csync::testing {

template <class T>
T run_coro(boost::asio::io_context& io, boost::asio::awaitable<T> op) {
    // co_spawn default-constructs the result on failure; engine results (Result<T>) are not
    // default-constructible, hence the optional.
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(
        io,
        [&out, op = std::move(op)]() mutable -> boost::asio::awaitable<void> {
            out.emplace(co_await std::move(op));
        },
        [&error](std::exception_ptr e) { error = e; });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
}

inline void run_coro(boost::asio::io_context& io, boost::asio::awaitable<void> op) {
    std::exception_ptr error;
    boost::asio::co_spawn(io, std::move(op), [&error](std::exception_ptr e) { error = e; });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
}

}  // namespace csync::testing
