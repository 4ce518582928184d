#include "replica/lease_coordinator.hpp"

#include <algorithm>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/until_stopped.hpp"

namespace csync::replica {

namespace asio = boost::asio;

LeaseCoordinator::LeaseCoordinator(Deps deps)
    : d_(std::move(deps)), changed_(d_.executor, asio::steady_timer::time_point::max()) {
    figures_.replica_id = d_.table.replica_id();
}

void LeaseCoordinator::set_accounts(std::vector<std::string> accounts) {
    accounts_ = std::move(accounts);
    std::sort(accounts_.begin(), accounts_.end());
    accounts_.erase(std::unique(accounts_.begin(), accounts_.end()), accounts_.end());
}

void LeaseCoordinator::notify_changed() {
    changed_.cancel();
    publish();
}

void LeaseCoordinator::publish() {
    std::lock_guard lock(figures_mu_);
    figures_.held.clear();
    for (const auto& [account, a] : leases_) {
        if (a.held) figures_.held.emplace(account, a.lease);
    }
}

LeaseFigures LeaseCoordinator::snapshot() const {
    std::lock_guard lock(figures_mu_);
    return figures_;
}

asio::awaitable<std::shared_ptr<StopSignal>> LeaseCoordinator::wait_owned(
    const std::string& account, StopSignal& stop) {
    using namespace asio::experimental::awaitable_operators;
    for (;;) {
        if (stop.stop_requested()) co_return nullptr;
        auto it = leases_.find(account);
        if (it != leases_.end() && it->second.held && !it->second.draining &&
            !it->second.stop->stop_requested()) {
            co_return it->second.stop;
        }
        // Woken by any change of ownership (notify_changed cancels the timer) or by the stop.
        co_await (changed_.async_wait(asio::as_tuple(asio::use_awaitable)) || stop.wait());
    }
}

void LeaseCoordinator::cycle_started(const std::string& account) { ++leases_[account].active; }

void LeaseCoordinator::cycle_ended(const std::string& account, const std::optional<Error>& error) {
    auto& a = leases_[account];
    --a.active;
    if (error && error->kind == ErrorKind::fenced && a.held) {
        lose(account, "the store refused a write for it (" + error->describe() + ")");
    }
}

void LeaseCoordinator::stop_cycles() {
    for (auto& [account, a] : leases_) {
        if (!a.stop) continue;
        a.stop->request_stop();
        a.stop = std::make_shared<StopSignal>(d_.executor);
    }
    notify_changed();
}

void LeaseCoordinator::lose(const std::string& account, const std::string& why) {
    auto& a = leases_[account];
    if (!a.held) return;
    d_.logger.warn("lease on account {} lost (token {}): {}; its streams stop", account,
                   a.lease.token, why);
    a.held = false;
    a.draining = false;
    if (a.stop) a.stop->request_stop();
    {
        std::lock_guard lock(figures_mu_);
        ++figures_.lost_total;
    }
    ++drains_in_flight_;
    asio::co_spawn(d_.executor, drain(account, a.lease.token, false), asio::detached);
    notify_changed();
}

asio::awaitable<void> LeaseCoordinator::wait_idle(const std::string& account) {
    // Cycles end within a page's commit once stopped; polling keeps the job side free of
    // bookkeeping for this rare event.
    while (leases_[account].active > 0) co_await d_.clock.sleep_for(std::chrono::milliseconds(20));
}

asio::awaitable<void> LeaseCoordinator::drain(std::string account, std::int64_t token,
                                              bool release) {
    co_await wait_idle(account);
    if (release) {
        PgLeaseTable* table = &d_.table;
        auto give_back = [table, account, token] { return table->release(account, token); };
        Status st = co_await d_.lease_db.run(std::move(give_back));
        if (!st.ok()) {
            // The lease then simply expires: the other replicas wait one lease period longer.
            d_.logger.warn("cannot give back the lease on account {}: {}", account,
                           st.error().describe());
        }
        auto& a = leases_[account];
        if (a.draining && a.lease.token == token) {
            a.held = false;
            a.draining = false;
            std::lock_guard lock(figures_mu_);
            ++figures_.released_total;
        }
        notify_changed();
    }
    // No write is in flight and none starts before a new lease sets a new fence (queued on the
    // same store thread after this one, so it cannot be overwritten).
    if (!leases_[account].held) {
        Store* store = &d_.store;
        auto lift = [store, account] { return store->set_lease_fence(account, std::nullopt); };
        Status st = co_await d_.store_db.run(std::move(lift));
        if (!st.ok()) d_.logger.warn("account {}: {}", account, st.error().describe());
    }
    --drains_in_flight_;
}

asio::awaitable<void> LeaseCoordinator::gain(const HeldLease& lease,
                                             std::chrono::steady_clock::time_point deadline) {
    Store* store = &d_.store;
    LeaseFence fence{d_.table.replica_id(), lease.token};
    auto set_fence = [store, account = lease.account, fence] {
        return store->set_lease_fence(account, fence);
    };
    Status st = co_await d_.store_db.run(std::move(set_fence));
    if (!st.ok()) {
        // Unfenced writes are not safe: leave the account to expire and be taken by another.
        d_.logger.error("account {}: cannot fence the store with the new lease: {}", lease.account,
                        st.error().describe());
        co_return;
    }
    auto& a = leases_[lease.account];
    a.held = true;
    a.draining = false;
    a.lease = lease;
    a.deadline = deadline;
    a.stop = std::make_shared<StopSignal>(d_.executor);
    {
        std::lock_guard lock(figures_mu_);
        ++figures_.acquired_total;
    }
    d_.logger.info("lease on account {} acquired (token {})", lease.account, lease.token);
    notify_changed();
}

asio::awaitable<void> LeaseCoordinator::tick() {
    PgLeaseTable* table = &d_.table;
    const auto period = d_.lease / 3;
    // The server sets expiry = its now + lease, its now being after this moment: the local
    // deadline below never outlives the lease.
    const auto sent_at = d_.clock.steady_now();
    auto renew = [table, accounts = accounts_] { return table->renew(accounts); };
    auto renewed = co_await d_.lease_db.run(std::move(renew));
    if (!renewed.ok()) {
        if (!renew_failing_) {
            d_.logger.warn("cannot renew the leases: {}; the accounts stop before they expire",
                           renewed.error().describe());
        }
        renew_failing_ = true;
        // The next attempt would come too late for a lease ending before it: stop now.
        const auto next_tick = d_.clock.steady_now() + period;
        std::vector<std::string> expiring;
        for (const auto& [account, a] : leases_) {
            if (a.held && a.deadline <= next_tick) expiring.push_back(account);
        }
        for (const auto& account : expiring) lose(account, "not renewed before its expiry");
        co_return;
    }
    if (renew_failing_) d_.logger.info("lease renewals succeed again");
    renew_failing_ = false;
    const auto deadline = sent_at + d_.lease;

    Ownership before, after;
    for (const auto& [account, a] : leases_) {
        if (a.held) before.emplace(account, a.lease.token);
    }
    for (const auto& h : renewed->held) after.emplace(h.account, h.token);
    const OwnershipChange change = diff_ownership(before, after);
    for (const auto& account : change.lost) lose(account, "expired or taken by another replica");
    for (const auto& h : renewed->held) {
        auto& a = leases_[h.account];
        if (a.held && a.lease.token == h.token) {
            a.lease.expires_at = h.expires_at;
            a.deadline = deadline;
        } else {
            // Held in the table under this replica's id but unknown here: a restart that kept
            // its configured id. Adopt it with its token.
            co_await gain(h, deadline);
        }
    }
    {
        std::lock_guard lock(figures_mu_);
        figures_.live_replicas = renewed->live_replicas;
        figures_.all = renewed->all;
    }

    if (!announced_) {
        announced_ = true;
        publish();
        co_return;
    }
    std::vector<HeldLease> keeping;
    for (const auto& [account, a] : leases_) {
        if (a.held && !a.draining) keeping.push_back(a.lease);
    }
    const LeasePlan plan = plan_leases(keeping, accounts_.size(), renewed->live_replicas);
    for (const auto& account : plan.release) {
        auto& a = leases_[account];
        d_.logger.info(
            "giving back the lease on account {} ({} live replicas share {} accounts) once its "
            "page in flight is committed",
            account, renewed->live_replicas, accounts_.size());
        a.draining = true;
        if (a.stop) a.stop->request_stop();
        ++drains_in_flight_;
        asio::co_spawn(d_.executor, drain(account, a.lease.token, true), asio::detached);
    }
    if (plan.acquire > 0) {
        std::vector<std::string> candidates;
        for (const auto& account : accounts_) {
            auto it = leases_.find(account);
            if (it == leases_.end() || !it->second.held) candidates.push_back(account);
        }
        if (!candidates.empty()) {
            const auto acquire_sent = d_.clock.steady_now();
            auto take = [table, candidates, n = plan.acquire] {
                return table->acquire(candidates, n);
            };
            auto taken = co_await d_.lease_db.run(std::move(take));
            if (!taken.ok()) {
                d_.logger.warn("cannot acquire leases: {}", taken.error().describe());
            } else {
                for (const auto& h : *taken) co_await gain(h, acquire_sent + d_.lease);
            }
        }
    }
    publish();
}

asio::awaitable<void> LeaseCoordinator::run(StopSignal& stop) {
    const auto period =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(d_.lease) / 3;
    while (!stop.stop_requested()) {
        co_await tick();
        if (!co_await sleep_until_stopped(d_.clock, period, stop)) break;
    }
    // Shutdown: stop every stream, wait for the pages in flight, then hand everything back.
    for (auto& [account, a] : leases_) {
        if (a.stop) a.stop->request_stop();
        a.draining = a.held;
    }
    notify_changed();
    for (const auto& [account, a] : leases_) co_await wait_idle(account);
    while (drains_in_flight_ > 0) co_await d_.clock.sleep_for(std::chrono::milliseconds(20));
    PgLeaseTable* table = &d_.table;
    auto leave = [table] { return table->leave(); };
    Status left = co_await d_.lease_db.run(std::move(leave));
    if (!left.ok()) {
        d_.logger.warn("cannot give the leases back: {}; they expire within {} ms",
                       left.error().describe(), d_.lease.count());
    } else {
        std::size_t n = 0;
        for (auto& [account, a] : leases_) {
            if (a.held) ++n;
            a.held = false;
        }
        std::lock_guard lock(figures_mu_);
        figures_.released_total += static_cast<std::int64_t>(n);
    }
    Store* store = &d_.store;
    for (const auto& [account, a] : leases_) {
        auto lift = [store, account] { return store->set_lease_fence(account, std::nullopt); };
        Status st = co_await d_.store_db.run(std::move(lift));
        (void)st;  // the process is exiting; the fence dies with the store connection
    }
    publish();
}

}  // namespace csync::replica
