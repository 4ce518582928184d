// SqliteStore: opening the file, its schema, and the writes of the sync loop (pages, runs, cursors,
// dead-letter retries). Reads and administration are in sqlite/admin_queries.cpp, export in
// sqlite/export.cpp, the page writer in sqlite/page_writer.*.

#include "store/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <string_view>
#include <utility>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include "log/log.hpp"
#include "store/daemon_lock.hpp"
#include "store/embedded_migrations.hpp"
#include "store/image_files.hpp"
#include "store/migrator.hpp"
#include "store/sqlite/page_writer.hpp"
#include "store/sqlite/store_impl.hpp"
#include "store/sqlite/support.hpp"

namespace csync {
namespace {

using namespace store::sqlite;

constexpr int kBusyTimeoutMs = 5000;

// Creates the database file with mode 0600 before SQLite sees it: SQLite would create it with
// the process umask (typically world-readable), and it gives the -wal and -shm files the mode of
// the main file.
Status create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) {
        const int err = errno;
        if (err == EEXIST) {
            return {};  // created meanwhile by another process: it chose the mode
        }
        return Error::storage("cannot create database " + path + ": " + std::strerror(err));
    }
    // The umask may have removed bits from 0600 (e.g. 0277); the owner must read and write.
    const int chmod_rc = ::fchmod(fd, S_IRUSR | S_IWUSR);
    const int err = errno;
    ::close(fd);
    if (chmod_rc != 0) {
        return Error::storage("cannot set mode 0600 on database " + path + ": " +
                              std::strerror(err));
    }
    return {};
}

// Cached statements of one kind of record. Parameters follow one layout per kind: ?1 account,
// then the record's key, then its fields, its content hash and, last, the page's time ("now"),
// so that every statement of the kind can take the same bindings.

}  // namespace

using namespace store::sqlite;

// --- open ---------------------------------------------------------------------------------------

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, Clock& clock,
                                                       OpenOptions options) {
    auto migrations = store::parse_migrations(store::embedded_migrations());
    if (!migrations.ok()) {
        return std::move(migrations).error();
    }
    if (path.empty()) {
        return Error::config("the database path is empty: set store.path to a file");
    }
    namespace fs = std::filesystem;
    const fs::path file(path);
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return Error::config("cannot open database " + path + ": directory " + dir.string() +
                             " does not exist (create it, or fix store.path)");
    }
    if (fs::is_directory(file, ec)) {
        return Error::config("database path " + path +
                             " is a directory: store.path must name a "
                             "file");
    }

    std::optional<store::DaemonLock> lock;
    if (options.daemon_lock) {
        auto acquired = store::DaemonLock::acquire(path + ".lock");
        if (!acquired.ok()) {
            return std::move(acquired).error();
        }
        lock.emplace(std::move(acquired.value()));
    }

    const bool exists = fs::exists(file, ec);
    if (options.read_only && !exists) {
        return Error::config("database " + path +
                             " does not exist: start commerce-syncd or run "
                             "`commerce-syncd migrate` to create it");
    }
    if (!options.read_only && !exists) {
        if (auto created = create_private_file(path); !created.ok()) {
            return std::move(created).error();
        }
    }

    const int latest = migrations->empty() ? 0 : migrations->back().version;
    // SQLite's memory statistics take a global mutex on every allocation; nothing reads them.
    // Only possible before SQLite initialises (later calls are refused and change nothing).
    static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)memstatus_off;
    try {
        // One connection per store, used by one thread at a time (the database thread, see
        // core/db_executor.hpp): SQLite's per-call connection mutex only costs time.
        auto db = std::make_unique<SQLite::Database>(
            path,
            (options.read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE) |
                SQLITE_OPEN_NOMUTEX,
            kBusyTimeoutMs);
        db->exec("PRAGMA foreign_keys = ON");
        if (!options.read_only) {
            const std::string mode = db->execAndGet("PRAGMA journal_mode = WAL").getString();
            if (mode != "wal") {
                return Error::storage("database " + path +
                                      ": SQLite refused WAL journal mode (kept '" + mode +
                                      "'); put the database on a local filesystem");
            }
            db->exec("PRAGMA synchronous = NORMAL");
        }
        int version = store::recorded_schema_version(*db);
        if (version > latest) {
            return Error::storage("database " + path + " has schema version " +
                                  std::to_string(version) + ", this commerce-syncd knows up to " +
                                  std::to_string(latest) + ": upgrade commerce-syncd");
        }
        if (version < latest && options.read_only) {
            return Error::storage("database " + path + " has schema version " +
                                  std::to_string(version) + ", this commerce-syncd needs " +
                                  std::to_string(latest) + ": run `commerce-syncd migrate` first");
        }
        if (version < latest && options.migrate) {
            version = store::apply_pending_migrations(*db, *migrations,
                                                      format_utc_iso(to_utc_seconds(clock.now())));
        }
        auto impl =
            std::make_unique<Impl>(path, clock, std::move(lock), std::move(db),
                                   std::move(migrations.value()), version, options.read_only);
        return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
    } catch (const std::exception& e) {
        return Error::storage("cannot open database " + path + ": " + e.what());
    }
}

const std::string& SqliteStore::path() const noexcept { return impl_->path; }

// --- schema -------------------------------------------------------------------------------------

int SqliteStore::latest_schema_version() {
    auto migrations = store::parse_migrations(store::embedded_migrations());
    return migrations.ok() && !migrations->empty() ? migrations->back().version : 0;
}

Result<int> SqliteStore::migrate() {
    if (auto st = impl_->require_writable(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("migrating", [&]() -> Result<int> {
        if (impl_->schema_version < impl_->latest_version()) {
            // Statements prepared against the old schema must not outlive it.
            impl_->page.reset();
            impl_->schema_version =
                store::apply_pending_migrations(*impl_->db, impl_->migrations, impl_->now_text());
        }
        return impl_->schema_version;
    });
}

Result<int> SqliteStore::schema_version() {
    return impl_->guarded("reading the schema version", [&]() -> Result<int> {
        return store::recorded_schema_version(*impl_->db);
    });
}

// --- accounts -----------------------------------------------------------------------------------

Status SqliteStore::register_account(const std::string& account, const std::string& platform) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    return impl_->guarded("registering account '" + account + "'", [&]() -> Status {
        Statement q(*impl_->db,
                    "INSERT INTO accounts (name, platform, created_at, updated_at)"
                    " VALUES (?1, ?2, ?3, ?3) ON CONFLICT (name) DO UPDATE SET"
                    " platform = excluded.platform, updated_at = excluded.updated_at"
                    " WHERE platform <> excluded.platform");
        q.bind(1, account);
        q.bind(2, platform);
        q.bind(3, impl_->now_text());
        q.exec();
        return {};
    });
}

Status SqliteStore::set_account_state(const std::string& account, const std::string& state,
                                      const std::string& reason) {
    if (state != "ok" && state != "parked") {
        return Error::config("account state '" + state + "' is not one of: ok, parked");
    }
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    return impl_->guarded("setting the state of account '" + account + "'", [&]() -> Status {
        Statement q(*impl_->db,
                    "UPDATE accounts SET state = ?2, state_reason = ?3, updated_at = ?4"
                    " WHERE name = ?1");
        q.bind(1, account);
        q.bind(2, state);
        q.bind(3, log::redact(reason));
        q.bind(4, impl_->now_text());
        if (q.exec() == 0) {
            return Error::storage("account '" + account + "' is not registered in database " +
                                  impl_->path + ": register_account must come first");
        }
        return {};
    });
}

// --- cursors and pages --------------------------------------------------------------------------

Result<std::optional<nlohmann::json>> SqliteStore::load_cursor(const StreamKey& key) {
    using Out = Result<std::optional<nlohmann::json>>;
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("loading the cursor of " + key.account + "/" + key.stream, [&]() -> Out {
        Statement q(*impl_->db, "SELECT cursor FROM sync_state WHERE account = ?1 AND stream = ?2");
        q.bind(1, key.account);
        q.bind(2, key.stream);
        if (!q.executeStep()) {
            return std::optional<nlohmann::json>{};
        }
        const std::string text = q.getColumn(0).getString();
        auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (parsed.is_discarded()) {
            return Error::storage("the cursor of " + key.account + "/" + key.stream +
                                  " in database " + impl_->path +
                                  " is not valid JSON: reset it with `commerce-syncd "
                                  "reset-cursor " +
                                  key.account + " " + key.stream + "`");
        }
        return std::optional<nlohmann::json>{std::move(parsed)};
    });
}

Result<ApplyStats> SqliteStore::apply_page(const StreamKey& key, std::int64_t run_id,
                                           const PageRecords& records,
                                           const nlohmann::json& next_cursor) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return std::move(st).error();
    }
    // One-shot: consumed by this call whatever happens.
    const std::optional<int> fail_after = std::exchange(impl_->fail_after_rows, std::nullopt);
    const std::string what = "applying a page of " + key.account + "/" + key.stream + " (" +
                             std::to_string(records.size()) +
                             (records.size() == 1 ? " record)" : " records)");
    return impl_->guarded(what, [&]() -> Result<ApplyStats> {
        PageStatements& st = impl_->page_statements();
        // Image sets by product: the ones the page replaces, with the images it carries.
        std::map<std::string, std::vector<const Image*>> image_sets;
        for (const std::string& product : records.replaced_image_sets) image_sets[product];
        for (const Image& i : records.images) image_sets[i.product_external_id].push_back(&i);
        store::ImageFolder* image_folder = nullptr;
        if (!image_sets.empty()) {
            image_folder = &impl_->image_folder(records.image_folder);
            if (auto space = store::check_image_space(*image_folder, records); !space.ok()) {
                return std::move(space).error();
            }
        }
        std::optional<store::sqlite::FullSync> full_sync;
        if (records.durable) full_sync.emplace(*impl_->db);
        // IMMEDIATE: take the write lock now, not at the first write, so a concurrent writer
        // makes us wait (busy_timeout) instead of failing the page half-way with SQLITE_BUSY.
        SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        if (auto known = impl_->require_account(key.account); !known.ok()) {
            return std::move(known).error();
        }
        if (auto known = impl_->require_run(run_id); !known.ok()) {
            return std::move(known).error();
        }
        PageWriter writer(st, key, run_id, impl_->now_text(), fail_after);
        for (const Category& c : records.categories) {
            writer.write(c);
        }
        // Products before stock levels, so that a page carrying both links them at once.
        for (const Product& p : records.products) {
            writer.write(p);
        }
        for (const StockLevel& l : records.stock_levels) {
            writer.write(l);
        }
        for (const Order& o : records.orders) {
            writer.write(o);
        }
        std::vector<std::string> stale_image_files;
        if (image_folder) {
            std::vector<std::pair<std::string, std::string_view>> files;
            for (const Image& i : records.images) files.emplace_back(i.sha256, i.data);
            image_folder->put_all(files);
            for (const auto& [product, set] : image_sets) {
                writer.write_image_set(product, set, *image_folder, stale_image_files);
            }
        }
        for (const std::string& id : records.deleted_product_ids) {
            writer.write_tombstone(id);
        }
        for (const std::string& id : records.seen_product_ids) {
            writer.write_seen(id);
        }
        for (const Country& c : records.countries) writer.write(c);
        for (const LedgerEntry& e : records.ledger) writer.write(e);
        if (records.balance) writer.write(*records.balance);
        // Letters last: a record that both applied and failed in one page stays dead-lettered.
        for (const DeadLetter& d : records.dead_letters) {
            writer.write(d);
        }
        writer.flush_counts();
        writer.flush_changes();
        writer.write_cursor(next_cursor);
        if (full_sync) {
            impl_->durable_commit_synchronous =
                impl_->db->execAndGet("PRAGMA synchronous").getInt();
        }
        tx.commit();
        // Only now may the old set's files go, and only those no row names any more.
        for (const std::string& file : stale_image_files) {
            if (!impl_->image_file_named(file)) image_folder->remove(file);
        }
        return writer.stats();
    });
}

Status SqliteStore::reset_cursor(const StreamKey& key) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    return impl_->guarded(
        "resetting the cursor of " + key.account + "/" + key.stream, [&]() -> Status {
            Statement q(*impl_->db, "DELETE FROM sync_state WHERE account = ?1 AND stream = ?2");
            q.bind(1, key.account);
            q.bind(2, key.stream);
            q.exec();
            return {};
        });
}

// --- runs ---------------------------------------------------------------------------------------

Result<std::int64_t> SqliteStore::begin_run(const StreamKey& key, UtcTime started_at) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded(
        "recording the start of a run of " + key.account + "/" + key.stream,
        [&]() -> Result<std::int64_t> {
            if (auto known = impl_->require_account(key.account); !known.ok()) {
                return std::move(known).error();
            }
            Statement q(*impl_->db,
                        "INSERT INTO sync_runs (account, stream, started_at) VALUES (?1, ?2, ?3)");
            q.bind(1, key.account);
            q.bind(2, key.stream);
            q.bind(3, format_utc_iso(started_at));
            q.exec();
            return static_cast<std::int64_t>(impl_->db->getLastInsertRowid());
        });
}

Status SqliteStore::finish_run(std::int64_t run_id, const RunSummary& summary) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    return impl_->guarded("recording the end of run " + std::to_string(run_id), [&]() -> Status {
        Statement q(*impl_->db,
                    "UPDATE sync_runs SET finished_at = ?2, pages = ?3, requests = ?4,"
                    " inserted = ?5, updated = ?6, unchanged = ?7, deleted = ?8,"
                    " dead_lettered = ?9, error = ?10 WHERE id = ?1");
        q.bind(1, run_id);
        // A summary without an end time ends now.
        const UtcTime finished = summary.finished_at.time_since_epoch().count() != 0
                                     ? summary.finished_at
                                     : to_utc_seconds(impl_->clock.now());
        q.bind(2, format_utc_iso(finished));
        q.bind(3, summary.pages);
        q.bind(4, summary.requests);
        q.bind(5, summary.stats.inserted);
        q.bind(6, summary.stats.updated);
        q.bind(7, summary.stats.unchanged);
        q.bind(8, summary.stats.deleted);
        q.bind(9, summary.stats.dead_lettered);
        if (summary.error) {
            q.bind(10, log::redact(*summary.error));
        } else {
            q.bind(10);
        }
        if (q.exec() == 0) {
            return Error::storage("no run with id " + std::to_string(run_id) + " in database " +
                                  impl_->path + " (finish_run without begin_run)");
        }
        return {};
    });
}

// --- dead letter retry ------------------------------------------------------------------------

Result<ApplyStats> SqliteStore::apply_dead_letter_retry(std::int64_t id, const std::string& payload,
                                                        const PageRecords& records) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return std::move(st).error();
    }
    const std::string letter = "dead letter " + std::to_string(id);
    if (!records.images.empty() || !records.replaced_image_sets.empty() ||
        !records.dead_letters.empty()) {
        return Error::config(letter +
                             ": a retry stores mapped records only, not images or letters");
    }
    const std::optional<int> fail_after = std::exchange(impl_->fail_after_rows, std::nullopt);
    return impl_->guarded("retrying " + letter, [&]() -> Result<ApplyStats> {
        PageStatements& st = impl_->page_statements();
        SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        StreamKey key;
        {
            // Read again under the write lock: the daemon may have met the record meanwhile.
            Statement q(*impl_->db,
                        "SELECT account, stream, payload, resolved_at IS NOT NULL"
                        " FROM dead_letters WHERE id = ?1");
            q.bind(1, id);
            if (!q.executeStep()) return Error::config(letter + " is unknown");
            if (q.getColumn(3).getInt() != 0) {
                return Error::config(letter + " is already resolved");
            }
            if (q.getColumn(2).getString() != payload) {
                return Error::config(letter +
                                     " changed while it was retried (its stream met the record "
                                     "again): retry it again");
            }
            key = StreamKey{q.getColumn(0).getString(), q.getColumn(1).getString()};
        }
        PageWriter writer(st, key, /*run_id=*/0, impl_->now_text(), fail_after);
        for (const Category& c : records.categories) writer.write(c);
        for (const Product& p : records.products) writer.write(p);
        for (const StockLevel& l : records.stock_levels) writer.write(l);
        for (const Order& o : records.orders) writer.write(o);
        for (const std::string& product : records.deleted_product_ids) {
            writer.write_tombstone(product);
        }
        for (const Country& c : records.countries) writer.write(c);
        for (const LedgerEntry& e : records.ledger) writer.write(e);
        if (records.balance) writer.write(*records.balance);
        writer.flush_counts();
        writer.flush_changes();
        {
            Use q(st.resolve_dead_letter);
            q->bind(1, id);
            q->bind(2, impl_->now_text());
            q->exec();
        }
        tx.commit();
        return writer.stats();
    });
}

// --- memory -------------------------------------------------------------------------------------

void SqliteStore::release_memory() {
    // Only unused, clean pages go: an open transaction (there is none between cycles) keeps its
    // dirty pages.
    if (impl_->db) sqlite3_db_release_memory(impl_->db->getHandle());
}

int SqliteStore::durable_commit_synchronous() const { return impl_->durable_commit_synchronous; }

int SqliteStore::synchronous_setting() const {
    return impl_->db->execAndGet("PRAGMA synchronous").getInt();
}

std::int64_t SqliteStore::page_cache_bytes() const {
    int current = 0;
    int highwater = 0;
    sqlite3_db_status(impl_->db->getHandle(), SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0);
    return current;
}

// --- tests --------------------------------------------------------------------------------------

void SqliteStore::fail_next_apply_after_rows_for_test(int rows) { impl_->fail_after_rows = rows; }

Status SqliteStore::limit_pages_for_test(std::int64_t max_pages) {
    return impl_->guarded("limiting the page count", [&]() -> Status {
        impl_->db->exec("PRAGMA max_page_count = " + std::to_string(max_pages));
        return {};
    });
}

}  // namespace csync
