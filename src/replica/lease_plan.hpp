#pragma once
// The decisions of lease-sharded replicas, as pure functions of what the lease table says: how
// many accounts this replica should hold, which to take, which to give back, and what changed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace csync::replica {

// A lease this replica holds, as the lease table reported it.
struct HeldLease {
    std::string account;
    std::int64_t token = 0;  // fencing token: incremented by every acquisition
    std::chrono::system_clock::time_point acquired_at{};
    std::chrono::system_clock::time_point expires_at{};
};

// Each live replica's fair share: ceil(accounts / live). Rounding up leaves no account without
// a taker (share * live >= accounts); `live` counts this replica, so zero is taken as one.
std::size_t fair_share(std::size_t accounts, std::size_t live_replicas);

// One account's row of the lease table, whoever holds it (for `status`).
struct LeaseRow {
    std::string account;
    std::string owner;  // empty: free
    std::int64_t token = 0;
    std::optional<std::chrono::system_clock::time_point> expires_at;
};

struct LeasePlan {
    std::size_t acquire = 0;           // free or expired leases to try to take
    std::vector<std::string> release;  // surplus to give back once its page in flight is done
};

// Below the share: take the difference. Above it: give back the surplus, newest leases first, so
// the accounts held longest (warm connections, tokens) stay where they are.
LeasePlan plan_leases(const std::vector<HeldLease>& held, std::size_t accounts,
                      std::size_t live_replicas);

// Accounts -> fencing token, before and after a renewal.
using Ownership = std::map<std::string, std::int64_t>;

struct OwnershipChange {
    std::vector<std::string> gained;
    std::vector<std::string> lost;
};

// A token that changed is a lost lease followed by a new one: the streams of the old one stop
// and the new one is fenced with its own token.
OwnershipChange diff_ownership(const Ownership& before, const Ownership& after);

// The default replica id: hostname-pid-random (the random part keeps a restarted process that
// reuses a pid from passing for its predecessor).
std::string default_replica_id(const std::string& hostname, long pid, double random01);

}  // namespace csync::replica
