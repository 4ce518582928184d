#include "replica/lease_report.hpp"

#include <sstream>

#include "csync/domain/time.hpp"

namespace csync::replica {
namespace {

std::string iso(std::chrono::system_clock::time_point t) {
    return format_utc_iso(std::chrono::time_point_cast<std::chrono::seconds>(t));
}

}  // namespace

nlohmann::json leases_json(const std::vector<LeaseRow>& leases) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& l : leases) {
        out[l.account] = {
            {"owner", l.owner.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.owner)},
            {"token", l.token},
            {"expires_at", l.owner.empty() || !l.expires_at ? nlohmann::json(nullptr)
                                                            : nlohmann::json(iso(*l.expires_at))}};
    }
    return out;
}

std::string leases_text(const std::vector<LeaseRow>& leases) {
    std::ostringstream out;
    for (const auto& l : leases) {
        out << "lease " << l.account << ": ";
        if (l.owner.empty() || !l.expires_at) {
            out << "free (token " << l.token << ")\n";
        } else {
            out << "held by " << l.owner << " until " << iso(*l.expires_at) << " (token " << l.token
                << ")\n";
        }
    }
    return out.str();
}

std::string lease_metrics_text(const LeaseFigures& f) {
    std::ostringstream out;
    const std::string replica = "replica=\"" + f.replica_id + "\"";
    out << "# HELP csync_replica_owned_accounts Accounts whose lease this replica holds.\n"
           "# TYPE csync_replica_owned_accounts gauge\n"
        << "csync_replica_owned_accounts{" << replica << "} " << f.held.size() << '\n';
    out << "# HELP csync_replica_live_replicas Replicas whose heartbeat is current.\n"
           "# TYPE csync_replica_live_replicas gauge\n"
        << "csync_replica_live_replicas{" << replica << "} " << f.live_replicas << '\n';
    out << "# HELP csync_lease_changes_total Leases this replica acquired, gave back or lost.\n"
           "# TYPE csync_lease_changes_total counter\n"
        << "csync_lease_changes_total{" << replica << ",change=\"acquired\"} " << f.acquired_total
        << '\n'
        << "csync_lease_changes_total{" << replica << ",change=\"released\"} " << f.released_total
        << '\n'
        << "csync_lease_changes_total{" << replica << ",change=\"lost\"} " << f.lost_total << '\n';
    out << "# HELP csync_lease_expiry_timestamp_seconds When each lease this replica holds ends "
           "unless renewed.\n# TYPE csync_lease_expiry_timestamp_seconds gauge\n";
    for (const auto& [account, h] : f.held) {
        out << "csync_lease_expiry_timestamp_seconds{" << replica << ",account=\"" << account
            << "\"} "
            << std::chrono::duration_cast<std::chrono::seconds>(h.expires_at.time_since_epoch())
                   .count()
            << '\n';
    }
    return out.str();
}

}  // namespace csync::replica
