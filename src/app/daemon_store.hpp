#pragma once
// The store the daemon and the CLI open, whichever backend the configuration names (SQLite file
// or PostgreSQL): the Store port, plus the operations both backends offer beside it.
// Thread affinity: as the store's (its DbExecutor thread).

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/sync_metrics.hpp"
#include "csync/config.hpp"
#include "csync/ports/clock.hpp"
#include "csync/ports/store.hpp"

namespace csync {
class SqliteStore;
class PostgresStore;
}  // namespace csync

namespace csync::app {

class DaemonStore {
  public:
    struct Pruned {
        std::int64_t runs = 0;
        std::int64_t changes = 0;
    };

    // `daemon_lock`: held for the store's lifetime, as a running daemon does.
    static Result<std::unique_ptr<DaemonStore>> open(const StoreConfig& config, Clock& clock,
                                                     bool daemon_lock, bool migrate);
    ~DaemonStore();
    DaemonStore(const DaemonStore&) = delete;
    DaemonStore& operator=(const DaemonStore&) = delete;

    Store& port();
    Status set_account_links(const std::vector<std::pair<std::string, std::string>>& links);
    Status save_account_metrics(const std::string& account, const AccountMetrics& metrics);
    Result<std::map<std::string, AccountMetrics>> account_metrics();
    Result<Pruned> prune_batch(UtcTime runs_before, UtcTime changes_before);
    Result<int> schema_version();

  private:
    DaemonStore() = default;
    std::unique_ptr<SqliteStore> sqlite_;
    std::unique_ptr<PostgresStore> postgres_;
};

}  // namespace csync::app
