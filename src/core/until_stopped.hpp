#pragma once
// Races an operation against a stop request: nullopt when the stop won (the operation is
// cancelled through Asio's per-operation cancellation).

#include <exception>
#include <optional>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "core/stop_signal.hpp"
#include "csync/ports/clock.hpp"

namespace csync {

template <class T>
boost::asio::awaitable<std::optional<T>> until_stopped(boost::asio::awaitable<T> op,
                                                       StopSignal& stop) {
    using namespace boost::asio::experimental::awaitable_operators;
    if (stop.stop_requested()) co_return std::nullopt;
    // Asio needs default-constructible results to race; Result<T> is not, so wrap it.
    // `||` waits for the first *success*: an exception from `op` would leave the race waiting
    // for a stop, so the wrapper catches it and it is rethrown once the race is over.
    std::exception_ptr failure;
    auto wrapped = [](boost::asio::awaitable<T> inner,
                      std::exception_ptr& error) -> boost::asio::awaitable<std::optional<T>> {
        try {
            co_return std::optional<T>(co_await std::move(inner));
        } catch (...) {
            error = std::current_exception();
        }
        co_return std::nullopt;
    };
    auto v = co_await (wrapped(std::move(op), failure) || stop.wait());
    if (v.index() == 1) co_return std::nullopt;  // stopped: what the cancelled op threw is moot
    if (failure) std::rethrow_exception(failure);
    co_return std::move(std::get<0>(v));
}

inline boost::asio::awaitable<bool> sleep_until_stopped(Clock& clock,
                                                        std::chrono::steady_clock::duration d,
                                                        StopSignal& stop) {
    using namespace boost::asio::experimental::awaitable_operators;
    if (stop.stop_requested()) co_return false;
    auto v = co_await (clock.sleep_for(d) || stop.wait());
    co_return v.index() == 0 && !stop.stop_requested();
}

}  // namespace csync
