#include "replica/lease_plan.hpp"

#include <algorithm>
#include <cstdio>

namespace csync::replica {

std::size_t fair_share(std::size_t accounts, std::size_t live_replicas) {
    const std::size_t live = std::max<std::size_t>(live_replicas, 1);
    return (accounts + live - 1) / live;
}

LeasePlan plan_leases(const std::vector<HeldLease>& held, std::size_t accounts,
                      std::size_t live_replicas) {
    LeasePlan plan;
    const std::size_t share = fair_share(accounts, live_replicas);
    if (held.size() < share) {
        plan.acquire = share - held.size();
        return plan;
    }
    if (held.size() == share) return plan;
    std::vector<const HeldLease*> newest_first;
    for (const auto& h : held) newest_first.push_back(&h);
    std::sort(newest_first.begin(), newest_first.end(), [](const HeldLease* a, const HeldLease* b) {
        if (a->acquired_at != b->acquired_at) return a->acquired_at > b->acquired_at;
        return a->account > b->account;
    });
    for (std::size_t i = 0; i < held.size() - share; ++i) {
        plan.release.push_back(newest_first[i]->account);
    }
    return plan;
}

OwnershipChange diff_ownership(const Ownership& before, const Ownership& after) {
    OwnershipChange change;
    for (const auto& [account, token] : before) {
        auto it = after.find(account);
        if (it == after.end() || it->second != token) change.lost.push_back(account);
    }
    for (const auto& [account, token] : after) {
        auto it = before.find(account);
        if (it == before.end() || it->second != token) change.gained.push_back(account);
    }
    return change;
}

std::string default_replica_id(const std::string& hostname, long pid, double random01) {
    char suffix[16];
    const auto r =
        std::min(static_cast<unsigned>(std::clamp(random01, 0.0, 1.0) * 0x1000000), 0xffffffu);
    std::snprintf(suffix, sizeof suffix, "%06x", r);
    return (hostname.empty() ? std::string("replica") : hostname) + "-" + std::to_string(pid) +
           "-" + suffix;
}

}  // namespace csync::replica
