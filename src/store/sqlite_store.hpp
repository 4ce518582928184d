#pragma once
// The SQLite implementation of the Store port: one database file per daemon, WAL mode, schema
// migrated from the embedded migrations/*.sql at open. Every page of a stream is applied in ONE
// IMMEDIATE transaction together with the stream's cursor, so the cursor never runs ahead of
// the data. The schema is documented in migrations/*.sql (merchants query the file directly).
//
// Errors: every method returns Error::storage carrying SQLite's own message, the database path
// and (for stream work) the account/stream; bad arguments (unknown table, unknown account state)
// are Error::config. No method throws (except std::bad_alloc).
// Thread affinity: one connection, used from one thread at a time — the DbExecutor thread in the
// daemon. Other processes may read the file concurrently (WAL).

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/sync_metrics.hpp"
#include "csync/ports/clock.hpp"
#include "csync/ports/store.hpp"
#include "store/operational_store.hpp"

namespace csync {

class SqliteStore final : public OperationalStore {
  public:
    struct OpenOptions {
        // Take an exclusive lock on "<path>.lock" for the store's lifetime: a second daemon on
        // the same database is refused with the pid of the first.
        bool daemon_lock = false;
        // Apply pending migrations at open (creating the schema of a new file). When false, a
        // writable store opens anyway so that migrate() can be called.
        bool migrate = true;
        // Open without writing anything (status, export): the file must exist and be at the
        // schema version this binary knows.
        bool read_only = false;
    };

    // Opens (creating with mode 0600 unless read_only) the database at `path`. The directory
    // must exist: a missing one is an Error::config naming it. A database whose schema is newer
    // than this binary's newest migration is refused. `clock` stamps first/last_seen_at and
    // must outlive the store.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, Clock& clock,
                                                     OpenOptions options);
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

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
    // Frees the connection's page cache (sqlite3_db_release_memory); pages are read again as
    // needed.
    void release_memory() override;
    // Bytes the connection's page cache holds now (SQLITE_DBSTATUS_CACHE_USED).
    std::int64_t page_cache_bytes() const;
    // PRAGMA synchronous (1 NORMAL, 2 FULL) in effect when the last durable page committed, -1
    // before one; and the connection's setting now.
    int durable_commit_synchronous() const;
    int synchronous_setting() const;

    // --- Retention (OperationalStore) -----------------------------------------------------------
    Result<PruneCount> prune_batch(UtcTime runs_before, UtcTime changes_before,
                                   std::int64_t batch = 500) override;

    // --- CLI ----------------------------------------------------------------------------------
    // Applies pending migrations (one transaction) and returns the resulting schema version.
    Result<int> migrate();
    // The schema version recorded in the file (0 for an empty file).
    Result<int> schema_version() override;
    // The newest schema version this binary knows.
    static int latest_schema_version();
    // --- Export and dead letters (OperationalStore) ----------------------------------------------
    Status export_table(const std::string& table, std::ostream& out,
                        ExportFormat format = ExportFormat::ndjson) override;
    Result<std::vector<DeadLetterRow>> dead_letters(const DeadLetterFilter& filter) override;
    Status dismiss_dead_letters(const std::vector<std::int64_t>& ids) override;
    Result<std::optional<DeadLetterRow>> dead_letter(std::int64_t id) override;
    Result<ApplyStats> apply_dead_letter_retry(std::int64_t id, const std::string& payload,
                                               const PageRecords& records) override;
    Status record_dead_letter_retry_failure(std::int64_t id, const std::string& error) override;

    const std::string& path() const noexcept;

    // --- Operations (OperationalStore) ----------------------------------------------------------
    Status set_account_links(
        const std::vector<std::pair<std::string, std::string>>& links) override;
    Status save_account_metrics(const std::string& account, const AccountMetrics& metrics) override;
    Result<std::map<std::string, AccountMetrics>> account_metrics() override;
    std::string location() const override { return "database " + path(); }

    // --- Tests --------------------------------------------------------------------------------
    // The next apply_page (or apply_dead_letter_retry) throws inside its transaction after
    // `rows` records were written, so tests can prove that a failed page leaves neither records
    // nor cursor (nor a resolved letter) behind. One-shot.
    void fail_next_apply_after_rows_for_test(int rows);
    // Caps the file size (PRAGMA max_page_count) so tests can provoke "database or disk is full".
    Status limit_pages_for_test(std::int64_t max_pages);

  private:
    struct Impl;
    explicit SqliteStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace csync
