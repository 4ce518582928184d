#pragma once
// Runs this replica's side of the lease protocol on the network thread: renews its leases every
// third of the lease period, takes free ones up to its fair share, gives back the surplus once
// the page in flight is committed, and tells the stream jobs when they may run. The store is
// fenced with each lease it gains, so a write after a loss is refused in its own transaction.
// Thread affinity: the io_context's thread; the lease table runs on `lease_db`, the store on
// `store_db`. snapshot() may be called from any thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/db_executor.hpp"
#include "core/stop_signal.hpp"
#include "csync/error.hpp"
#include "csync/ports/clock.hpp"
#include "csync/ports/store.hpp"
#include "log/log.hpp"
#include "replica/lease_plan.hpp"
#include "replica/pg_lease_table.hpp"

namespace csync::replica {

struct LeaseFigures {
    std::string replica_id;
    std::size_t live_replicas = 0;
    std::map<std::string, HeldLease> held;  // by account
    std::vector<LeaseRow> all;              // every account's lease at the last renewal
    std::int64_t acquired_total = 0;        // leases gained
    std::int64_t released_total = 0;        // given back (surplus, shutdown)
    std::int64_t lost_total = 0;            // expired, taken over, or fenced
};

class LeaseCoordinator {
  public:
    struct Deps {
        boost::asio::any_io_executor executor;
        PgLeaseTable& table;  // used only on lease_db
        DbExecutor& lease_db;
        Store& store;  // used only on store_db
        DbExecutor& store_db;
        Clock& clock;
        log::Logger logger;
        std::chrono::milliseconds lease{30'000};
    };

    explicit LeaseCoordinator(Deps deps);

    // The configured accounts (again after a reload).
    void set_accounts(std::vector<std::string> accounts);

    // The lease loop, until `stop`; then stops every stream, lifts the fences and gives every
    // lease back so the other replicas take them at once.
    boost::asio::awaitable<void> run(StopSignal& stop);

    // Waits until this replica may run the account: the signal it returns fires when the lease is
    // lost or given back (or stop_cycles() is called). nullptr when `stop` fires first.
    boost::asio::awaitable<std::shared_ptr<StopSignal>> wait_owned(const std::string& account,
                                                                   StopSignal& stop);
    // Bracket each cycle run under a lease: a surplus lease is given back only once its account
    // has no cycle in flight. A fenced outcome drops the lease at once (another replica holds it).
    void cycle_started(const std::string& account);
    void cycle_ended(const std::string& account, const std::optional<Error>& error);

    // A generation ends (reload, shutdown): the cycles in flight stop; the leases stay held.
    void stop_cycles();

    LeaseFigures snapshot() const;

  private:
    struct AccountLease {
        bool held = false;
        bool draining = false;  // being given back: no new cycle starts
        HeldLease lease;
        std::chrono::steady_clock::time_point deadline{};  // local bound on the lease's expiry
        std::shared_ptr<StopSignal> stop;
        int active = 0;  // cycles in flight
    };

    boost::asio::awaitable<void> tick();
    boost::asio::awaitable<void> gain(const HeldLease& lease,
                                      std::chrono::steady_clock::time_point deadline);
    void lose(const std::string& account, const std::string& why);
    // Waits for the account's cycles to end, then lifts its fence unless it was regained; with
    // `release`, gives the lease back too.
    boost::asio::awaitable<void> drain(std::string account, std::int64_t token, bool release);
    boost::asio::awaitable<void> wait_idle(const std::string& account);
    void notify_changed();
    void publish();

    Deps d_;
    std::vector<std::string> accounts_;
    std::map<std::string, AccountLease> leases_;
    boost::asio::steady_timer changed_;
    int drains_in_flight_ = 0;
    bool renew_failing_ = false;
    // A replica takes leases from its second renewal on: replicas started together then count
    // each other before sharing, instead of the first taking everything and giving most back.
    bool announced_ = false;

    mutable std::mutex figures_mu_;
    LeaseFigures figures_;
};

}  // namespace csync::replica
