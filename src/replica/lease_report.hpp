#pragma once
// How replicas show in `status` (text and JSON) and /metrics.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replica/lease_coordinator.hpp"
#include "replica/lease_plan.hpp"

namespace csync::replica {

// {"owner": replica id or null, "token": n, "expires_at": ISO time or null} per account.
nlohmann::json leases_json(const std::vector<LeaseRow>& leases);
// One line per account: "lease ACCOUNT: held by REPLICA until TIME (token N)" or "... free".
std::string leases_text(const std::vector<LeaseRow>& leases);
// Owned accounts, live replicas, lease changes and each owned lease's end, Prometheus text.
std::string lease_metrics_text(const LeaseFigures& figures);

}  // namespace csync::replica
