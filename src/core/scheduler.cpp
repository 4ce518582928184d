#include "core/scheduler.hpp"

#include <malloc.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/until_stopped.hpp"

namespace csync {

std::chrono::steady_clock::duration Scheduler::next_delay(std::chrono::seconds interval) {
    double factor = 0.9 + 0.2 * random_.uniform01();
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(static_cast<double>(interval.count()) * factor));
}

boost::asio::awaitable<void> Scheduler::job_loop(const ScheduledJob& job, bool once) {
    log::Logger lg = logger_.with("account", job.key.account).with("stream", job.key.stream);
    while (!stop_.stop_requested()) {
        if (parked(job.key.account)) {
            if (once) co_return;
            // Parked: wait for a stop (a reload builds a new scheduler).
            co_await stop_.wait();
            co_return;
        }
        CycleOutcome outcome;
        try {
            outcome = co_await job.run_cycle();
        } catch (const std::exception& e) {
            // A bug in one stream must not take the others down: count it and go on.
            lg.error("cycle aborted by an unexpected exception: {}", e.what());
            outcome.error = Error::transient(std::string("unexpected exception: ") + e.what());
        }
        // Only a credentials problem parks: retrying cannot fix it, and hammering a platform
        // with a wrong secret can get the merchant's key blocked. Other failures (config-typed
        // answers such as clock skew included) are retried at the next interval.
        if (outcome.error && outcome.error->kind == ErrorKind::auth) {
            std::string reason = outcome.error->describe();
            if (!parked_.count(job.key.account)) {
                parked_[job.key.account] = reason;
                lg.error("account parked until the configuration changes: {}", reason);
                if (on_park_) co_await on_park_(job.key.account, reason);
            }
        }
        if (once || stop_.stop_requested()) co_return;
        // The cycle's pages are freed by now; glibc keeps freed heap mapped unless asked, and
        // the daemon idles until the next cycle, so hand it back (the store's caches first).
        if (on_idle_) co_await on_idle_();
        ::malloc_trim(0);
        auto delay = next_delay(job.interval);
        if (!co_await sleep_until_stopped(clock_, delay, stop_)) co_return;
    }
}

boost::asio::awaitable<void> Scheduler::run(bool once) {
    if (jobs_.empty()) co_return;
    auto ex = co_await boost::asio::this_coro::executor;
    using Op =
        decltype(boost::asio::co_spawn(ex, job_loop(jobs_.front(), once), boost::asio::deferred));
    std::vector<Op> ops;
    ops.reserve(jobs_.size());
    for (const auto& job : jobs_) {
        ops.push_back(boost::asio::co_spawn(ex, job_loop(job, once), boost::asio::deferred));
    }
    auto [order, exceptions] =
        co_await boost::asio::experimental::make_parallel_group(std::move(ops))
            .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
    (void)order;
    for (const auto& e : exceptions) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex2) {
                logger_.error("a job loop ended with an exception: {}", ex2.what());
            }
        }
    }
}

}  // namespace csync
