#pragma once
// Time and randomness are injected so that the scheduler, backoff and cursor logic are tested
// deterministically (a fake clock advances instantly when something sleeps).

#include <chrono>
#include <cstdint>

#include <boost/asio/awaitable.hpp>

namespace csync {

class Clock {
  public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;
    virtual std::chrono::steady_clock::time_point steady_now() const = 0;
    // Suspends the calling coroutine; honours cancellation of the awaiting coroutine
    // (throws boost::system::system_error with operation_aborted when cancelled).
    virtual boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) = 0;
};

// The clock's wall time in whole Unix seconds (platform timestamps, status figures).
inline std::int64_t unix_seconds(const Clock& clock) {
    return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

class Random {
  public:
    virtual ~Random() = default;
    // Uniform in [0, 1).
    virtual double uniform01() = 0;
};

}  // namespace csync
