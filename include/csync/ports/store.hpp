#pragma once
// The store port. SQLite and PostgreSQL implement it (src/store, src/store/postgres). Calls are
// blocking and must run on the store's own executor (core/db_executor.hpp), never on the network
// thread. Thread safety: one Store object is used from one thread at a time.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/records.hpp"
#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/ports/adapter_store.hpp"

namespace csync {

struct StreamKey {
    std::string account;
    std::string stream;
    bool operator==(const StreamKey&) const = default;
};

struct ApplyStats {
    std::int64_t inserted = 0;
    std::int64_t updated = 0;
    std::int64_t unchanged = 0;
    std::int64_t deleted = 0;
    std::int64_t dead_lettered = 0;

    ApplyStats& operator+=(const ApplyStats& o) {
        inserted += o.inserted;
        updated += o.updated;
        unchanged += o.unchanged;
        deleted += o.deleted;
        dead_lettered += o.dead_lettered;
        return *this;
    }
};

struct RunSummary {
    std::int64_t pages = 0;
    std::int64_t requests = 0;
    ApplyStats stats;
    std::optional<std::string> error;  // set when the run failed
    UtcTime finished_at{};
};

struct StreamStatus {
    std::string account;
    std::string platform;
    std::string stream;
    std::string account_state;  // ok | parked
    std::string account_state_reason;
    nlohmann::json cursor;  // null when never synced
    std::optional<UtcTime> cursor_updated_at;
    std::optional<UtcTime> last_run_started_at;
    std::optional<UtcTime> last_success_at;
    std::optional<std::string> last_error;
    std::optional<UtcTime> last_error_at;
    std::int64_t records = 0;       // rows this stream owns for the account
    std::int64_t dead_letters = 0;  // unresolved
    // The account's latest balance read (Sunsky `account` stream), repeated on each of the
    // account's rows; nullopt when the account has none.
    std::optional<AccountBalance> account_balance;
};

// The lease a process holds on an account (PostgreSQL replicas, table account_leases).
struct LeaseFence {
    std::string owner;
    std::int64_t token = 0;
};

class Store {
  public:
    virtual ~Store() = default;

    // Creates or updates the accounts row (and its platform). Idempotent.
    virtual Status register_account(const std::string& account, const std::string& platform) = 0;
    // ok | parked, with a human reason; parked accounts are skipped until the config changes.
    virtual Status set_account_state(const std::string& account, const std::string& state,
                                     const std::string& reason) = 0;

    // The stream's committed cursor, or nullopt when it never committed one.
    virtual Result<std::optional<nlohmann::json>> load_cursor(const StreamKey& key) = 0;

    // Applies one page: every record AND `next_cursor` in ONE transaction, or nothing.
    // Unchanged records (same content hash) only get last_seen_at. Writes `changes` rows.
    virtual Result<ApplyStats> apply_page(const StreamKey& key, std::int64_t run_id,
                                          const PageRecords& records,
                                          const nlohmann::json& next_cursor) = 0;

    virtual Result<std::int64_t> begin_run(const StreamKey& key, UtcTime started_at) = 0;
    virtual Status finish_run(std::int64_t run_id, const RunSummary& summary) = 0;

    virtual Status reset_cursor(const StreamKey& key) = 0;

    // The account's key/value state (AdapterStore). save_account_state sets the given names in
    // one transaction synced to disk before it returns.
    virtual Result<AccountState> load_account_state(const std::string& account) = 0;
    virtual Status save_account_state(const std::string& account, const AccountState& values) = 0;
    // Reads for adapters (AdapterStore): see there. `entity` is "product"; anything else is an
    // Error::config.
    virtual Result<KnownVersions> known_versions(const std::string& account,
                                                 const std::string& entity,
                                                 const std::string& scope,
                                                 const std::vector<std::string>& ids) = 0;
    virtual Result<std::vector<std::string>> unseen_since(const std::string& account,
                                                          const std::string& entity,
                                                          const std::string& scope,
                                                          UtcTime pass_start,
                                                          std::size_t limit) = 0;
    virtual Result<std::vector<StreamStatus>> status() = 0;
    // Every later write transaction for `account` first checks that the lease is still held:
    // account_leases row with this owner and token whose expires_at > now(), locked FOR SHARE
    // in the same transaction; otherwise the transaction is not committed and the call returns
    // Error::fenced naming the account. nullopt removes the check. The SQLite store (one
    // process, daemon lock) ignores it.
    virtual Status set_lease_fence(const std::string& account, std::optional<LeaseFence> fence) {
        (void)account;
        (void)fence;
        return {};
    }
    // Between cycles, when the daemon idles: hands back what the store caches only for speed
    // (SQLite's page cache). Never fails; the next call simply fills the caches again.
    virtual void release_memory() {}
    // AdapterStore::image_space. This default knows no folder: nothing used, all incoming.
    virtual Result<ImageSpace> image_space(const std::string& folder,
                                           const ImageCandidates& candidates) {
        (void)folder;
        ImageSpace space;
        for (const auto& [sha256, bytes] : candidates) space.incoming_bytes += bytes;
        return space;
    }
};

}  // namespace csync
