#pragma once
// The PostgreSQL implementation of the Store port (store.backend: postgres), for integrators who
// run many accounts or several replicas against one database. Same normalized schema as SQLite
// (migrations/postgres/*.sql, applied at open), same semantics: every page of a stream is applied
// in ONE transaction together with the stream's cursor, with INSERT ... ON CONFLICT upserts and
// the content-hash rule of the SQLite store.
//
// Errors: Error::storage carrying PostgreSQL's own message, the server (DSN with its password
// masked) and, for stream work, the account/stream; Error::fenced when a lease fence
// (set_lease_fence) no longer holds. No method throws (except std::bad_alloc).
// Thread affinity: one connection, used from one thread at a time (the DbExecutor thread).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/sync_metrics.hpp"
#include "csync/ports/clock.hpp"
#include "csync/ports/store.hpp"
#include "store/operational_store.hpp"

namespace csync {

// `dsn` with any password masked ("postgresql://u:***@h/db", "... password=*** ..."), for
// messages and logs.
std::string redact_dsn(const std::string& dsn);

class PostgresStore final : public OperationalStore {
  public:
    struct OpenOptions {
        // Apply pending migrations at open (creating the schema in an empty database).
        bool migrate = true;
        // Hold the store's advisory lock in shared mode for the store's lifetime (every daemon
        // does): `migrate-store`, which takes it exclusively, is refused while a daemon runs.
        bool daemon_lock = false;
        // The schema the tables live in, created when missing; empty: the server's search_path.
        std::string schema;
    };

    static Result<std::unique_ptr<PostgresStore>> open(const std::string& dsn, Clock& clock,
                                                       OpenOptions options);
    ~PostgresStore() override;
    PostgresStore(const PostgresStore&) = delete;
    PostgresStore& operator=(const PostgresStore&) = delete;

    // --- Store port ---------------------------------------------------------------------------
    Status register_account(const std::string& account, const std::string& platform) override;
    Status set_account_state(const std::string& account, const std::string& state,
                             const std::string& reason) override;
    Result<std::optional<nlohmann::json>> load_cursor(const StreamKey& key) override;
    Result<ApplyStats> apply_page(const StreamKey& key, std::int64_t run_id,
                                  const PageRecords& records,
                                  const nlohmann::json& next_cursor) override;
    Result<std::int64_t> begin_run(const StreamKey& key, UtcTime started_at) override;
    Status finish_run(std::int64_t run_id, const RunSummary& summary) override;
    Status reset_cursor(const StreamKey& key) override;
    Result<std::vector<StreamStatus>> status() override;
    Result<AccountState> load_account_state(const std::string& account) override;
    Status save_account_state(const std::string& account, const AccountState& values) override;
    Result<KnownVersions> known_versions(const std::string& account, const std::string& entity,
                                         const std::string& scope,
                                         const std::vector<std::string>& ids) override;
    Result<std::vector<std::string>> unseen_since(const std::string& account,
                                                  const std::string& entity,
                                                  const std::string& scope, UtcTime pass_start,
                                                  std::size_t limit) override;
    Result<ImageSpace> image_space(const std::string& folder,
                                   const ImageCandidates& candidates) override;
    Status set_lease_fence(const std::string& account, std::optional<LeaseFence> fence) override;

    // --- Retention and operations (OperationalStore, as SqliteStore) ---------------------------
    Result<PruneCount> prune_batch(UtcTime runs_before, UtcTime changes_before,
                                   std::int64_t batch = 500) override;
    Status set_account_links(
        const std::vector<std::pair<std::string, std::string>>& links) override;
    Status save_account_metrics(const std::string& account, const AccountMetrics& metrics) override;
    Result<std::map<std::string, AccountMetrics>> account_metrics() override;
    std::string location() const override;

    // --- Export and dead letters (OperationalStore): SqliteStore's output and rules ------------
    Status export_table(const std::string& table, std::ostream& out,
                        ExportFormat format = ExportFormat::ndjson) override;
    Result<std::vector<DeadLetterRow>> dead_letters(const DeadLetterFilter& filter) override;
    Status dismiss_dead_letters(const std::vector<std::int64_t>& ids) override;
    Result<std::optional<DeadLetterRow>> dead_letter(std::int64_t id) override;
    Result<ApplyStats> apply_dead_letter_retry(std::int64_t id, const std::string& payload,
                                               const PageRecords& records) override;
    Status record_dead_letter_retry_failure(std::int64_t id, const std::string& error) override;

    // The schema version recorded in the database, and the newest this binary knows.
    Result<int> schema_version() override;
    static int latest_schema_version();
    // The tables only PostgreSQL has (the replicas' leases, live replicas and lease history):
    // SQLite has no counterpart, and migrate-store has nothing to copy into them.
    static const std::vector<std::string>& postgres_only_tables();
    // The tables and views of the schema with their columns, for the schema comparison test.
    Result<std::map<std::string, std::vector<std::string>>> schema_columns();

    // --- migrate-store ------------------------------------------------------------------------
    // Copies every table of the SQLite store at `sqlite_path` (cursors, runs, changes, dead
    // letters and account state included) into this store in ONE transaction, ids kept. The
    // SQLite file must be at this binary's schema version and this store must hold no data
    // (Error::config otherwise). The store's advisory lock is taken exclusively for the copy: it
    // is refused while a daemon (which holds it shared) runs on this database. The caller holds
    // the SQLite daemon lock. Returns the rows copied per table.
    Result<std::map<std::string, std::int64_t>> copy_from_sqlite(const std::string& sqlite_path);

    // --- Tests --------------------------------------------------------------------------------
    // As SqliteStore's: the next apply_page (or apply_dead_letter_retry) throws inside its
    // transaction after `rows` records.
    void fail_next_apply_after_rows_for_test(int rows);
    // Drops the store's schema (OpenOptions::schema) with everything in it.
    Status drop_schema_for_test();

  private:
    struct Impl;
    explicit PostgresStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace csync
