#pragma once
// Runs each (account, stream) job at start-up and then every interval with ±10% jitter, never
// overlapping itself. An auth failure parks the job's account: its jobs stop running
// until the configuration is reloaded, instead of hammering the platform with a wrong secret.
// Thread affinity: one io_context thread.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/stop_signal.hpp"
#include "core/stream_runner.hpp"
#include "csync/ports/clock.hpp"
#include "log/log.hpp"

namespace csync {

struct ScheduledJob {
    StreamKey key;
    std::chrono::seconds interval{300};
    std::function<boost::asio::awaitable<CycleOutcome>()> run_cycle;
};

class Scheduler {
  public:
    // Called when an account is parked (auth error) with the human reason.
    using ParkHandler = std::function<boost::asio::awaitable<void>(const std::string& account,
                                                                   const std::string& reason)>;

    Scheduler(Clock& clock, Random& random, StopSignal& stop, log::Logger logger)
        : clock_(clock), random_(random), stop_(stop), logger_(std::move(logger)) {}

    void add_job(ScheduledJob job) { jobs_.push_back(std::move(job)); }
    void on_park(ParkHandler handler) { on_park_ = std::move(handler); }
    // Called after a job's cycle, before it sleeps until the next (the daemon idles then).
    void on_idle(std::function<boost::asio::awaitable<void>()> handler) {
        on_idle_ = std::move(handler);
    }
    bool parked(const std::string& account) const { return parked_.count(account) > 0; }

    // Runs every job until a stop is requested; returns once every job has finished its current
    // cycle. With `once`, each job runs one cycle and run() returns.
    boost::asio::awaitable<void> run(bool once = false);

    // The delay before the next cycle: interval * uniform(0.9, 1.1).
    std::chrono::steady_clock::duration next_delay(std::chrono::seconds interval);

  private:
    boost::asio::awaitable<void> job_loop(const ScheduledJob& job, bool once);

    Clock& clock_;
    Random& random_;
    StopSignal& stop_;
    log::Logger logger_;
    std::vector<ScheduledJob> jobs_;
    std::map<std::string, std::string> parked_;
    ParkHandler on_park_;
    std::function<boost::asio::awaitable<void>()> on_idle_;
};

}  // namespace csync
