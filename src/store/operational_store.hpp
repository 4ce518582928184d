#pragma once
// What the daemon needs of its store beyond the Store port: retention, the account links it
// mirrors from the configuration, the HTTP figures `status` reads, and the operator's commands
// (`dead-letters`, `export`). SqliteStore and PostgresStore implement it, so the daemon and the
// CLI run on either backend.

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/sync_metrics.hpp"
#include "csync/ports/store.hpp"

namespace csync {

// One row of dead_letters, for `commerce-syncd dead-letters`. Times are UTC ISO-8601 text.
struct DeadLetterRow {
    std::int64_t id = 0;
    std::string account;
    std::string stream;
    std::string record_key;
    std::string payload;
    std::string error;
    std::int64_t attempts = 0;
    std::string first_seen_at;
    std::string last_seen_at;
    std::optional<std::string> resolved_at;
};

struct DeadLetterFilter {
    std::optional<std::string> account;
    std::optional<std::string> stream;
    bool include_resolved = false;
};

// export: NDJSON (one object per row) or CSV (RFC 4180: a header line, CRLF line ends, fields
// quoted when they hold a comma, quote or line break; NULL is an empty field).
enum class ExportFormat { ndjson, csv };

// What retention never prunes, as SQL both stores put in their DELETE: status reads each
// stream's latest run, success and failure; a change stays until every registered consumer has
// read it.
inline constexpr const char* kRunsKeptByRetention =
    "id NOT IN (SELECT last_run_id FROM stream_run_summary WHERE last_run_id IS NOT NULL"
    " UNION SELECT last_success_run_id FROM stream_run_summary"
    " WHERE last_success_run_id IS NOT NULL"
    " UNION SELECT last_error_run_id FROM stream_run_summary WHERE last_error_run_id IS NOT NULL)";
inline constexpr const char* kChangesKeptByRetention =
    "id <= (SELECT coalesce(min(last_id), 9223372036854775807) FROM change_consumers)";

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

    // --- CLI: export and dead letters (the same output and rules on every backend) -------------
    // Writes every row of `table` (column names as keys or CSV header, rows in primary-key
    // order; numbers, money and times as the SQLite file holds them: integers as numbers, exact
    // decimal text, UTC ISO-8601 text). Only the tables of the documented schema are allowed;
    // any other name is an Error::config listing them.
    virtual Status export_table(const std::string& table, std::ostream& out,
                                ExportFormat format = ExportFormat::ndjson) = 0;
    // The tables export_table accepts.
    static const std::vector<std::string>& exportable_tables();
    // Dead letters matching `filter`, oldest first.
    virtual Result<std::vector<DeadLetterRow>> dead_letters(const DeadLetterFilter& filter) = 0;
    // Marks unresolved dead letters resolved by hand (the operator has dealt with them); the
    // record failing again reopens its letter. All or nothing: an id that is unknown or already
    // resolved is an Error::config naming it, and nothing changes.
    virtual Status dismiss_dead_letters(const std::vector<std::int64_t>& ids) = 0;
    // One dead letter by id, resolved or not; nullopt when no letter has that id.
    virtual Result<std::optional<DeadLetterRow>> dead_letter(std::int64_t id) = 0;
    // `dead-letters retry`: stores `records` (what the letter's payload maps to now) and marks
    // the letter resolved, in ONE transaction, or does neither. No stream cursor is read or
    // written, so a running daemon's streams are not disturbed; a lease fence on the letter's
    // account is checked as for a page. The letter must still be unresolved and hold `payload`
    // (the daemon may have met the record again since it was read): otherwise Error::config and
    // nothing changes. Images and dead letters in `records` are refused (Error::config): a retry
    // neither downloads nor parks.
    virtual Result<ApplyStats> apply_dead_letter_retry(std::int64_t id, const std::string& payload,
                                                       const PageRecords& records) = 0;
    // A retried letter whose payload still does not map: its error becomes `error` (redacted),
    // attempts and last_seen_at move on, and it stays unresolved.
    virtual Status record_dead_letter_retry_failure(std::int64_t id, const std::string& error) = 0;
};

}  // namespace csync
