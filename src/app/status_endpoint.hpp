#pragma once
// GET /healthz (alive), /readyz (store reachable), /status (JSON per account and stream: cursor,
// last success, last error, record counts, live counters) and /metrics (Prometheus text format).

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/db_executor.hpp"
#include "core/sync_metrics.hpp"
#include "csync/ports/clock.hpp"
#include "csync/ports/http_server.hpp"
#include "csync/ports/store.hpp"
#include "replica/lease_coordinator.hpp"

namespace csync::app {

// The status document shared by the endpoint and `commerce-syncd status --json`.
// `http`: per account, its HTTP figures (the daemon's live ones, or those it saved to the store).
nlohmann::json status_json(const std::vector<StreamStatus>& streams,
                           const std::map<SyncMetrics::Key, StreamMetrics>* live,
                           const std::map<std::string, AccountMetrics>* http = nullptr);
// Replicas: puts each account's lease (owner, token, expires_at) into a status document.
void add_leases(nlohmann::json& status, const std::vector<replica::LeaseRow>& leases);
// Prometheus exposition of the same.
// `now` dates the cursor lag of watermark streams.
std::string metrics_text(const std::vector<StreamStatus>& streams,
                         const std::map<SyncMetrics::Key, StreamMetrics>& live,
                         const std::map<std::string, AccountMetrics>& accounts, UtcTime now);

class StatusEndpoint {
  public:
    struct Sources {
        DbExecutor* db;
        Store* store;  // used on the database thread only
        SyncMetrics* metrics;
        Clock* clock;
        // Replicas: every account's lease and this replica's figures. nullptr without replicas.
        const replica::LeaseCoordinator* leases = nullptr;
    };
    explicit StatusEndpoint(Sources s) : s_(s) {}
    boost::asio::awaitable<ServerResponse> handle(ServerRequest request);

  private:
    Sources s_;
};

}  // namespace csync::app
