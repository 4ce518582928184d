#pragma once
// What the daemon needs of its store beyond the Store port: retention, the account links it
// mirrors from the configuration, and the HTTP figures `status` reads. SqliteStore and
// PostgresStore implement it, so the daemon runs on either backend.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/sync_metrics.hpp"
#include "csync/ports/store.hpp"

namespace csync {

class OperationalStore : public Store {
  public:
    // One small batch of pruning, its own short transaction: sync_runs that started before
    // `runs_before` (never a stream's latest run, latest success or latest failure) and changes
    // written before `changes_before` that every registered consumer (change_consumers) has read.
    // At most `batch` rows of each are looked at; returns the rows deleted (0: nothing left to
    // prune). Call it repeatedly, yielding between calls, so commits and status reads interleave.
    struct PruneCount {
        std::int64_t runs = 0;
        std::int64_t changes = 0;
    };
    virtual Result<PruneCount> prune_batch(UtcTime runs_before, UtcTime changes_before,
                                           std::int64_t batch = 500) = 0;
    // Replaces every (shop account, stock_from account) link with `links`, in one transaction:
    // the table mirrors the configuration the daemon runs.
    virtual Status set_account_links(
        const std::vector<std::pair<std::string, std::string>>& links) = 0;
    // Saves an account's HTTP figures (since the daemon started), for `status` in another process.
    virtual Status save_account_metrics(const std::string& account,
                                        const AccountMetrics& metrics) = 0;
    virtual Result<std::map<std::string, AccountMetrics>> account_metrics() = 0;
    // The newest schema version recorded in the database.
    virtual Result<int> schema_version() = 0;
    // Where the data lives, for messages: the SQLite file, or the DSN with its password masked.
    virtual std::string location() const = 0;
};

}  // namespace csync
