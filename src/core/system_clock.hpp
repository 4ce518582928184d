#pragma once
#include <random>

#include <boost/asio/any_io_executor.hpp>

#include "csync/ports/clock.hpp"

namespace csync {

// The real clock; sleep_for uses an asio steady_timer on the awaiting coroutine's executor.
class SystemClock final : public Clock {
  public:
    std::chrono::system_clock::time_point now() const override;
    std::chrono::steady_clock::time_point steady_now() const override;
    boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) override;
};

class StdRandom final : public Random {
  public:
    explicit StdRandom(std::uint64_t seed = std::random_device{}());
    double uniform01() override;

  private:
    std::mt19937_64 gen_;
};

}  // namespace csync
