#include "core/stop_signal.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace csync {

StopSignal::StopSignal(boost::asio::any_io_executor ex)
    : timer_(ex, boost::asio::steady_timer::time_point::max()) {}

void StopSignal::request_stop() {
    stopped_ = true;
    timer_.cancel();
}

boost::asio::awaitable<void> StopSignal::wait() {
    while (!stopped_) {
        auto [ec] = co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        (void)ec;  // cancelled by request_stop (or by the awaiting operation's own cancellation)
        if (!stopped_) {
            // Cancelled because the awaiting coroutine lost a race: give up waiting.
            co_return;
        }
    }
}

}  // namespace csync
