#include "core/system_clock.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace csync {

std::chrono::system_clock::time_point SystemClock::now() const {
    return std::chrono::system_clock::now();
}

std::chrono::steady_clock::time_point SystemClock::steady_now() const {
    return std::chrono::steady_clock::now();
}

boost::asio::awaitable<void> SystemClock::sleep_for(std::chrono::steady_clock::duration d) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
    co_await timer.async_wait(boost::asio::use_awaitable);
}

StdRandom::StdRandom(std::uint64_t seed) : gen_(seed) {}

double StdRandom::uniform01() { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_); }

}  // namespace csync
