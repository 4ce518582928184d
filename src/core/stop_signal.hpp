#pragma once
// Graceful stop: request_stop() wakes every coroutine waiting in wait(). Loops race their
// network waits and sleeps against it; a database commit in flight is never raced.
// Thread affinity: use from the io_context's thread (request_stop may be posted from elsewhere).

#include <atomic>
#include <chrono>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace csync {

class StopSignal {
  public:
    explicit StopSignal(boost::asio::any_io_executor ex);
    void request_stop();
    bool stop_requested() const noexcept { return stopped_.load(); }
    // Completes when a stop is requested (at once if it already was).
    boost::asio::awaitable<void> wait();

  private:
    boost::asio::steady_timer timer_;
    std::atomic<bool> stopped_{false};
};

}  // namespace csync
