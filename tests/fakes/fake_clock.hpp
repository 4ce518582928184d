#pragma once
// A Clock whose time only moves when told to, or when something sleeps: sleep_for advances the
// clock by the requested duration and returns at once, so backoff and scheduling tests are
// deterministic and instant.

#include <chrono>
#include <mutex>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "csync/ports/clock.hpp"

namespace csync::testing {

class FakeClock final : public Clock {
  public:
    explicit FakeClock(std::chrono::system_clock::time_point start =
                           std::chrono::system_clock::time_point{
                               std::chrono::seconds{1'700'000'000}})
        : system_(start) {}

    std::chrono::system_clock::time_point now() const override {
        std::lock_guard lock(mu_);
        return system_;
    }
    std::chrono::steady_clock::time_point steady_now() const override {
        std::lock_guard lock(mu_);
        return steady_;
    }
    boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) override {
        {
            std::lock_guard lock(mu_);
            sleeps_.push_back(d);
        }
        advance(d);
        // Yield once so that other coroutines interleave as they would with a real timer.
        co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                                   boost::asio::use_awaitable);
    }

    void advance(std::chrono::steady_clock::duration d) {
        std::lock_guard lock(mu_);
        system_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
        steady_ += d;
    }
    void set_now(std::chrono::system_clock::time_point t) {
        std::lock_guard lock(mu_);
        system_ = t;
    }
    std::vector<std::chrono::steady_clock::duration> sleeps() const {
        std::lock_guard lock(mu_);
        return sleeps_;
    }

  private:
    mutable std::mutex mu_;
    std::chrono::system_clock::time_point system_;
    std::chrono::steady_clock::time_point steady_{};
    std::vector<std::chrono::steady_clock::duration> sleeps_;
};

// Random that returns a fixed sequence (cycled), for jitter tests.
class FakeRandom final : public Random {
  public:
    explicit FakeRandom(std::vector<double> values = {0.5}) : values_(std::move(values)) {}
    double uniform01() override { return values_[i_++ % values_.size()]; }

  private:
    std::vector<double> values_;
    std::size_t i_ = 0;
};

}  // namespace csync::testing
