#include "store/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include "core/digest.hpp"
#include "log/log.hpp"
#include "store/daemon_lock.hpp"
#include "store/embedded_migrations.hpp"
#include "store/image_files.hpp"
#include "store/migrator.hpp"
#include "store/page_tally.hpp"
#include "store/record_hash.hpp"
#include "store/table_export.hpp"

namespace csync {
namespace {

using SQLite::Statement;

constexpr int kBusyTimeoutMs = 5000;

// A cached statement, reset before and after each use: a statement left mid-result would keep
// a read snapshot open (blocking WAL checkpoints) and refuse new bindings.
class Use {
  public:
    explicit Use(Statement& statement) : s_(statement) { s_.tryReset(); }
    ~Use() { s_.tryReset(); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    Statement* operator->() { return &s_; }
    Statement& operator*() { return s_; }

  private:
    Statement& s_;
};

// Text the platform did not send is stored as NULL (the schema's convention).
void bind_text_or_null(Statement& s, int index, const std::string& value) {
    if (value.empty()) {
        s.bind(index);
    } else {
        s.bind(index, value);
    }
}

void bind_time(Statement& s, int index, const std::optional<UtcTime>& value) {
    if (value) {
        s.bind(index, format_utc_iso(*value));
    } else {
        s.bind(index);
    }
}

void bind_decimal(Statement& s, int index, const std::optional<Decimal>& value) {
    if (value) {
        s.bind(index, value->text());
    } else {
        s.bind(index);
    }
}

void bind_int(Statement& s, int index, const std::optional<std::int64_t>& value) {
    if (value) {
        s.bind(index, static_cast<std::int64_t>(*value));
    } else {
        s.bind(index);
    }
}

std::optional<std::string> text_column(const SQLite::Column& c) {
    if (c.isNull()) {
        return std::nullopt;
    }
    return c.getString();
}

std::optional<UtcTime> time_column(const SQLite::Column& c) {
    if (c.isNull()) {
        return std::nullopt;
    }
    return parse_utc_iso(c.getText());
}

UtcTime to_utc_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::floor<std::chrono::seconds>(t);
}

// The table each stream feeds, for StreamStatus::records.
const std::map<std::string, std::string, std::less<>>& stream_tables() {
    static const std::map<std::string, std::string, std::less<>> tables = {
        {"products", "products"}, {"categories", "categories"}, {"stock", "stock_levels"},
        {"orders", "orders"},     {"images", "images"},         {"items", "products"},
        {"account", "ledger"},    {"countries", "countries"},
    };
    return tables;
}

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
struct RecordStatements {
    RecordStatements(SQLite::Database& db, const char* table_name, const char* select_hash_sql,
                     const char* insert_sql, const char* update_sql, const char* touch_sql,
                     int key_params, int now_param)
        : table(table_name),
          select_hash(db, select_hash_sql),
          insert(db, insert_sql),
          update(db, update_sql),
          touch(db, touch_sql),
          key_param_count(key_params),
          now_param_index(now_param) {}

    const char* table;      // the table, as record_counts.tbl names it
    Statement select_hash;  // ?1..?key: content_hash of the stored row
    Statement insert;       // all parameters
    Statement update;       // all parameters
    Statement touch;        // ?1..?key and ?now: only last_seen_at
    int key_param_count;
    int now_param_index;
};

using store::op_of;
using store::Outcome;

// Change rows per multi-row INSERT: a page's changes take a few statements, not one per row.
constexpr int kChangeBatch = 32;

// ?1 account, ?2 run, ?3 time; then entity, external_id and op of each row from ?4 on.
std::string insert_changes_sql(int rows) {
    std::string sql =
        "INSERT INTO changes (account, entity, external_id, op, run_id, changed_at) VALUES ";
    for (int i = 0; i < rows; ++i) {
        const int base = 4 + 3 * i;
        sql += (i ? ", (?1, ?" : "(?1, ?") + std::to_string(base) + ", ?" +
               std::to_string(base + 1) + ", ?" + std::to_string(base + 2) + ", ?2, ?3)";
    }
    return sql;
}

// Every statement apply_page runs, prepared once per store (this is the hot path).
struct PageStatements {
    explicit PageStatements(SQLite::Database& db)
        : account_exists(db, "SELECT 1 FROM accounts WHERE name = ?1"),
          run_exists(db, "SELECT 1 FROM sync_runs WHERE id = ?1"),
          products(db, "products",
                   "SELECT content_hash FROM products WHERE account = ?1 AND external_id = ?2",
                   "INSERT INTO products (account, external_id, parent_external_id, sku, barcode,"
                   " title, brand, category_external_id, price, currency, stock, status,"
                   " source_modified_at, raw_json, content_hash, first_seen_at, last_seen_at,"
                   " platform_status, scope)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                   " ?16, ?16, ?17, ?18)",
                   "UPDATE products SET parent_external_id = ?3, sku = ?4, barcode = ?5,"
                   " title = ?6, brand = ?7, category_external_id = ?8, price = ?9,"
                   " currency = ?10, stock = ?11, status = ?12, source_modified_at = ?13,"
                   " raw_json = ?14, content_hash = ?15, last_seen_at = ?16,"
                   " platform_status = ?17, scope = ?18 WHERE account = ?1 AND external_id = ?2",
                   "UPDATE products SET last_seen_at = ?16 WHERE account = ?1 AND external_id = ?2",
                   2, 16),
          categories(db, "categories",
                     "SELECT content_hash FROM categories WHERE account = ?1 AND external_id = ?2",
                     "INSERT INTO categories (account, external_id, parent_external_id, code, name,"
                     " status, source_modified_at, raw_json, content_hash, first_seen_at,"
                     " last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                     "UPDATE categories SET parent_external_id = ?3, code = ?4, name = ?5,"
                     " status = ?6, source_modified_at = ?7, raw_json = ?8, content_hash = ?9,"
                     " last_seen_at = ?10 WHERE account = ?1 AND external_id = ?2",
                     "UPDATE categories SET last_seen_at = ?10"
                     " WHERE account = ?1 AND external_id = ?2",
                     2, 10),
          // product_external_id: the product of the same account with this sku (lowest
          // external_id when several share it), NULL when none.
          stock_levels(db, "stock_levels",
                       "SELECT content_hash FROM stock_levels"
                       " WHERE account = ?1 AND external_id = ?2 AND warehouse = ?3",
                       "INSERT INTO stock_levels (account, external_id, warehouse, sku, quantity,"
                       " change_count, product_external_id, source_modified_at, raw_json,"
                       " content_hash, first_seen_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5,"
                       " ?6, (SELECT p.external_id FROM products p WHERE p.account = ?1"
                       " AND p.sku = ?4 ORDER BY p.external_id LIMIT 1), ?7, ?8, ?9, ?10, ?10)",
                       "UPDATE stock_levels SET sku = ?4, quantity = ?5, change_count = ?6,"
                       " product_external_id = (SELECT p.external_id FROM products p"
                       " WHERE p.account = ?1 AND p.sku = ?4 ORDER BY p.external_id LIMIT 1),"
                       " source_modified_at = ?7, raw_json = ?8, content_hash = ?9,"
                       " last_seen_at = ?10"
                       " WHERE account = ?1 AND external_id = ?2 AND warehouse = ?3",
                       "UPDATE stock_levels SET last_seen_at = ?10"
                       " WHERE account = ?1 AND external_id = ?2 AND warehouse = ?3",
                       3, 10),
          orders(db, "orders",
                 "SELECT content_hash FROM orders WHERE account = ?1 AND external_id = ?2",
                 "INSERT INTO orders (account, external_id, status, platform_status, currency,"
                 " total_amount, created_at, source_modified_at, raw_json, content_hash,"
                 " subtotal_amount, shipping_cost, pack_status, shipping_way, tracking_number,"
                 " paid_at, shipped_at, site_number, delivery_address, first_seen_at,"
                 " last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                 " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?20)",
                 "UPDATE orders SET status = ?3, platform_status = ?4, currency = ?5,"
                 " total_amount = ?6, created_at = ?7, source_modified_at = ?8, raw_json = ?9,"
                 " content_hash = ?10, subtotal_amount = ?11, shipping_cost = ?12,"
                 " pack_status = ?13, shipping_way = ?14, tracking_number = ?15, paid_at = ?16,"
                 " shipped_at = ?17, site_number = ?18, delivery_address = ?19,"
                 " last_seen_at = ?20 WHERE account = ?1 AND external_id = ?2",
                 "UPDATE orders SET last_seen_at = ?20 WHERE account = ?1 AND external_id = ?2", 2,
                 20),
          images(db, "images",
                 "SELECT content_hash FROM images"
                 " WHERE account = ?1 AND product_external_id = ?2 AND position = ?3",
                 "INSERT INTO images (account, product_external_id, position, file_path, sha256,"
                 " byte_size, source_modified_at, content_hash, first_seen_at, last_seen_at)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                 "UPDATE images SET file_path = ?4, sha256 = ?5, byte_size = ?6,"
                 " source_modified_at = ?7, content_hash = ?8, last_seen_at = ?9"
                 " WHERE account = ?1 AND product_external_id = ?2 AND position = ?3",
                 "UPDATE images SET last_seen_at = ?9"
                 " WHERE account = ?1 AND product_external_id = ?2 AND position = ?3",
                 3, 9),
          image_rows_of(db,
                        "SELECT position, file_path FROM images"
                        " WHERE account = ?1 AND product_external_id = ?2"),
          delete_image_row(db,
                           "DELETE FROM images"
                           " WHERE account = ?1 AND product_external_id = ?2 AND position = ?3"),
          image_file_named(db, "SELECT 1 FROM images WHERE file_path = ?1 LIMIT 1"),
          countries(
              db, "countries",
              "SELECT content_hash FROM countries WHERE account = ?1 AND external_id = ?2",
              "INSERT INTO countries (account, external_id, code, name, ship_to_state,"
              " states, raw_json, content_hash, first_seen_at, last_seen_at)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
              "UPDATE countries SET code = ?3, name = ?4, ship_to_state = ?5, states = ?6,"
              " raw_json = ?7, content_hash = ?8, last_seen_at = ?9"
              " WHERE account = ?1 AND external_id = ?2",
              "UPDATE countries SET last_seen_at = ?9 WHERE account = ?1 AND external_id = ?2", 2,
              9),
          // A bill is its content: seen again, it only gets last_seen_at.
          insert_bill(
              db,
              "INSERT INTO ledger (account, created_at, tx_type, reference, amount, balance,"
              " occurrence, raw_json, first_seen_at, last_seen_at)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) ON CONFLICT DO NOTHING"),
          touch_bill(db,
                     "UPDATE ledger SET last_seen_at = ?9 WHERE account = ?1 AND created_at = ?2"
                     " AND tx_type = ?3 AND reference = ?4 AND amount = ?5 AND balance = ?6"
                     " AND occurrence = ?7 AND raw_json = ?8"),
          upsert_balance(db,
                         "INSERT INTO account_balances (account, balance, currency, observed_at)"
                         " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account) DO UPDATE SET"
                         " balance = excluded.balance, currency = excluded.currency,"
                         " observed_at = excluded.observed_at"),
          // Stock lines follow their product when it appears or changes its sku.
          touch_unchanged_product(db,
                                  "UPDATE products SET last_seen_at = ?3 WHERE account = ?1"
                                  " AND external_id = ?2 AND content_hash = ?4"),
          // Unscoped products (scope ''): seen again unchanged, only their narrow product_seen
          // row is written, not the wide products row.
          see_unchanged_product(db,
                                "INSERT INTO product_seen (account, external_id, last_seen_at)"
                                " SELECT account, external_id, ?3 FROM products WHERE account = ?1"
                                " AND external_id = ?2 AND content_hash = ?4 AND scope = ''"
                                " ON CONFLICT (account, external_id)"
                                " DO UPDATE SET last_seen_at = excluded.last_seen_at"),
          see_product(db,
                      "INSERT INTO product_seen (account, external_id, last_seen_at)"
                      " VALUES (?1, ?2, ?16) ON CONFLICT (account, external_id)"
                      " DO UPDATE SET last_seen_at = excluded.last_seen_at"),
          account_has_stock(db, "SELECT 1 FROM stock_levels WHERE account = ?1 LIMIT 1"),
          relink_stock(db,
                       "UPDATE stock_levels SET product_external_id = (SELECT p.external_id"
                       " FROM products p WHERE p.account = stock_levels.account"
                       " AND p.sku = stock_levels.sku ORDER BY p.external_id LIMIT 1)"
                       " WHERE account = ?1 AND (sku = ?2 OR product_external_id = ?3)"),
          delete_order_lines(
              db, "DELETE FROM order_lines WHERE account = ?1 AND order_external_id = ?2"),
          insert_order_line(db,
                            "INSERT INTO order_lines (account, order_external_id, line_number,"
                            " line_id, sku, title, quantity, unit_price, amount)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
          product_status(db,
                         "SELECT status, content_hash FROM products"
                         " WHERE account = ?1 AND external_id = ?2"),
          mark_product_deleted(db,
                               "UPDATE products SET status = 'deleted', content_hash = ?3"
                               " WHERE account = ?1 AND external_id = ?2"),
          touch_seen_product(db,
                             "UPDATE products SET last_seen_at = ?3"
                             " WHERE account = ?1 AND external_id = ?2 AND status <> 'deleted'"),
          insert_change(db,
                        "INSERT INTO changes (account, entity, external_id, op, run_id, changed_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
          insert_changes(db, insert_changes_sql(kChangeBatch)),
          upsert_dead_letter(
              db,
              "INSERT INTO dead_letters (account, stream, record_key, payload, error,"
              " attempts, first_seen_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5,"
              " 1, ?6, ?6) ON CONFLICT (account, stream, record_key) DO UPDATE SET"
              " payload = excluded.payload, error = excluded.error,"
              " attempts = attempts + 1, last_seen_at = excluded.last_seen_at,"
              " resolved_at = NULL"),
          unresolved_dead_letters(db,
                                  "SELECT id, record_key FROM dead_letters WHERE account = ?1"
                                  " AND stream = ?2 AND resolved_at IS NULL"),
          resolve_dead_letter(db, "UPDATE dead_letters SET resolved_at = ?2 WHERE id = ?1"),
          add_record_count(db,
                           "INSERT INTO record_counts (account, tbl, records) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT (account, tbl) DO UPDATE SET records = records + ?3"),
          upsert_cursor(db,
                        "INSERT INTO sync_state (account, stream, cursor, updated_at)"
                        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account, stream) DO UPDATE SET"
                        " cursor = excluded.cursor, updated_at = excluded.updated_at") {}

    Statement account_exists;
    Statement run_exists;
    RecordStatements products;
    RecordStatements categories;
    RecordStatements stock_levels;
    RecordStatements orders;
    RecordStatements images;
    Statement image_rows_of;
    Statement delete_image_row;
    Statement image_file_named;
    RecordStatements countries;
    Statement insert_bill;
    Statement touch_bill;
    Statement upsert_balance;
    // An unchanged product in one statement: only last_seen_at, and only when the hash is equal.
    Statement touch_unchanged_product;
    Statement see_unchanged_product;
    Statement see_product;  // the products touch of an unscoped row: ?1, ?2 and ?16 (now)
    Statement account_has_stock;
    Statement relink_stock;
    Statement delete_order_lines;
    Statement insert_order_line;
    Statement product_status;
    Statement mark_product_deleted;
    Statement touch_seen_product;
    Statement insert_change;
    Statement insert_changes;  // kChangeBatch rows
    Statement upsert_dead_letter;
    Statement unresolved_dead_letters;
    Statement resolve_dead_letter;
    // Rows a page inserted, per table: one statement per page instead of a trigger per row.
    Statement add_record_count;
    Statement upsert_cursor;
};

}  // namespace

struct SqliteStore::Impl {
    Impl(std::string db_path, Clock& c, std::optional<store::DaemonLock> daemon_lock,
         std::unique_ptr<SQLite::Database> database, std::vector<store::Migration> known,
         int version, bool ro)
        : path(std::move(db_path)),
          clock(c),
          lock(std::move(daemon_lock)),
          db(std::move(database)),
          migrations(std::move(known)),
          schema_version(version),
          read_only(ro) {}

    // Declaration order is destruction order in reverse: statements are finalized before the
    // connection closes, and the daemon lock is released only after both.
    std::string path;
    Clock& clock;
    std::optional<store::DaemonLock> lock;
    std::unique_ptr<SQLite::Database> db;
    std::unique_ptr<PageStatements> page;
    std::vector<store::Migration> migrations;
    int schema_version = 0;
    bool read_only = false;
    std::optional<int> fail_after_rows;
    // Image folders by root, each swept of unreferenced files at its first use.
    std::map<std::string, store::ImageFolder> image_folders;

    bool image_file_named(const std::string& file) {
        Use q(page_statements().image_file_named);
        q->bind(1, file);
        return q->executeStep();
    }

    // The folder a page's images go to: the page's own, or <db dir>/<db name>-images.
    store::ImageFolder& image_folder(const std::string& configured) {
        namespace fs = std::filesystem;
        const fs::path db_file(path);
        fs::path root = configured.empty()
                            ? db_file.parent_path() / (db_file.stem().string() + "-images")
                            : fs::path(configured);
        root = fs::absolute(root).lexically_normal();
        auto [it, added] = image_folders.try_emplace(root.string(), root);
        if (added) {
            // Files written for pages that never committed (a crash, a failed page).
            it->second.remove_unreferenced(
                [&](const std::string& f) { return image_file_named(f); });
        }
        return it->second;
    }

    int latest_version() const { return migrations.empty() ? 0 : migrations.back().version; }
    std::string now_text() const { return format_utc_iso(to_utc_seconds(clock.now())); }

    // Runs `fn`, turning any exception into Error::storage "<what> in database <path> failed:
    // <SQLite's message>". `fn` returns the method's Result.
    template <class F>
    auto guarded(const std::string& what, F&& fn) -> decltype(fn()) {
        try {
            return fn();
        } catch (const SQLite::Exception& e) {
            return Error::storage(what + " in database " + path + " failed: " + sqlite_cause(e));
        } catch (const std::exception& e) {
            return Error::storage(what + " in database " + path + " failed: " + e.what());
        }
    }

    // SQLite's message, led by the cause when the file system refused a write: a file-size
    // limit (EFBIG) or a quota (EDQUOT) reach SQLite only as "disk I/O error". Its system errno
    // is the errno when it noticed, which the unwinding may have replaced: the main file's last
    // errno, then a file-size limit the database or its journal has reached, say the same.
    std::string sqlite_cause(const SQLite::Exception& e) const {
        auto no_room = [](int err) { return err == ENOSPC || err == EFBIG || err == EDQUOT; };
        int sys = db ? sqlite3_system_errno(db->getHandle()) : 0;
        if (int last = 0; !no_room(sys) && db &&
                          sqlite3_file_control(db->getHandle(), "main", SQLITE_FCNTL_LAST_ERRNO,
                                               &last) == SQLITE_OK) {
            if (no_room(last)) sys = last;
        }
        if (!no_room(sys) && (e.getErrorCode() & 0xff) == SQLITE_IOERR && size_limit_reached())
            sys = EFBIG;
        if (!no_room(sys) && (e.getErrorCode() & 0xff) != SQLITE_FULL) return e.what();
        std::string cause = "disk full or file size limit reached";
        if (no_room(sys)) {
            const char* name = sys == ENOSPC ? "ENOSPC" : sys == EFBIG ? "EFBIG" : "EDQUOT";
            cause += std::string(" (errno ") + name + ": " + std::strerror(sys) + ")";
        }
        return cause + " writing " + path + " (SQLite: " + e.what() + ")";
    }
    // The database, its WAL or its journal is within one page write of RLIMIT_FSIZE.
    bool size_limit_reached() const {
        rlimit limit{};
        if (getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return false;
        constexpr off_t kLargestWrite = 65536 + 24;  // a largest page and its WAL frame header
        for (const char* suffix : {"", "-wal", "-journal"}) {
            struct stat st {};
            if (::stat((path + suffix).c_str(), &st) == 0 &&
                static_cast<rlim_t>(st.st_size + kLargestWrite) > limit.rlim_cur) {
                return true;
            }
        }
        return false;
    }

    // Methods that read or write records need the full schema of this binary.
    Status require_current_schema() const {
        if (schema_version == latest_version()) {
            return {};
        }
        return Error::storage("database " + path + " has schema version " +
                              std::to_string(schema_version) + ", this commerce-syncd needs " +
                              std::to_string(latest_version()) +
                              ": run `commerce-syncd migrate` first");
    }
    Status require_writable() const {
        if (!read_only) {
            return {};
        }
        return Error::storage("database " + path + " is open read-only");
    }

    PageStatements& page_statements() {
        if (!page) {
            page = std::make_unique<PageStatements>(*db);
        }
        return *page;
    }

    bool account_exists(const std::string& account) {
        Use q(page_statements().account_exists);
        q->bind(1, account);
        return q->executeStep();
    }
    Status require_account(const std::string& account) {
        if (account_exists(account)) {
            return {};
        }
        return Error::storage("account '" + account + "' is not registered in database " + path +
                              ": register_account must run before its streams");
    }
    // Run ids <= 0 mean "no recorded run"; others must come from begin_run.
    Status require_run(std::int64_t run_id) {
        if (run_id <= 0) {
            return {};
        }
        Use q(page_statements().run_exists);
        q->bind(1, run_id);
        if (q->executeStep()) {
            return {};
        }
        return Error::storage("run " + std::to_string(run_id) + " does not exist in database " +
                              path + ": pass the id begin_run returned");
    }
};

namespace {

// One apply_page call: the page's time, its counters and the dead letters it may resolve.
class PageWriter {
  public:
    PageWriter(PageStatements& st, const StreamKey& key, std::int64_t run_id, std::string now,
               std::optional<int> fail_after_rows)
        : st_(st), key_(key), run_id_(run_id), now_(std::move(now)), tally_(fail_after_rows) {
        load_unresolved_dead_letters();
    }

    ApplyStats& stats() { return tally_.stats; }

    // Before the cursor: record_counts grows by the rows this page inserted (deletions are
    // still counted by triggers; they are rare and may come from retention or by hand).
    void flush_counts() {
        for (const auto& [table, rows] : inserted_rows_) {
            if (rows == 0) continue;
            Use q(st_.add_record_count);
            q->bind(1, key_.account);
            q->bind(2, std::string(table));
            q->bind(3, rows);
            q->exec();
        }
        inserted_rows_.clear();
    }

    // Before the cursor: the changes commit with the records they describe.
    void flush_changes() {
        std::size_t i = 0;
        for (; i + kChangeBatch <= pending_changes_.size(); i += kChangeBatch) {
            Use q(st_.insert_changes);
            q->bind(1, key_.account);
            bind_run(*q, 2);
            q->bind(3, now_);
            for (int k = 0; k < kChangeBatch; ++k) {
                const PendingChange& c = pending_changes_[i + static_cast<std::size_t>(k)];
                q->bindNoCopy(4 + 3 * k, c.entity);
                q->bindNoCopy(5 + 3 * k, c.external_id);
                q->bindNoCopy(6 + 3 * k, c.op);
            }
            q->exec();
        }
        for (; i < pending_changes_.size(); ++i) {
            const PendingChange& c = pending_changes_[i];
            Use q(st_.insert_change);
            q->bind(1, key_.account);
            q->bindNoCopy(2, c.entity);
            q->bindNoCopy(3, c.external_id);
            q->bindNoCopy(4, c.op);
            bind_run(*q, 5);
            q->bind(6, now_);
            q->exec();
        }
        pending_changes_.clear();
    }

    void write(const Product& p) {
        tally_.before_row();
        const std::string hash = store::record_hash(p);
        // After an unchanged row the next is likely unchanged too (a re-read): one statement
        // then settles it; otherwise the general upsert's lookup goes first.
        if (expect_unchanged_ && touch_if_unchanged(p.external_id, p.scope, hash)) {
            after_record("product", p.external_id, Outcome::unchanged);
            return;
        }
        const Outcome outcome = upsert(
            st_.products, hash, [&](Statement& s) { s.bind(2, p.external_id); },
            [&](Statement& s) {
                bind_text_or_null(s, 3, p.parent_external_id);
                bind_text_or_null(s, 4, p.sku);
                bind_text_or_null(s, 5, p.barcode);
                bind_text_or_null(s, 6, p.title);
                bind_text_or_null(s, 7, p.brand);
                bind_text_or_null(s, 8, p.category_external_id);
                bind_decimal(s, 9, p.price);
                bind_text_or_null(s, 10, p.currency);
                bind_int(s, 11, p.stock);
                s.bind(12, std::string(to_string(p.status)));
                bind_time(s, 13, p.source_modified_at);
                s.bindNoCopy(14, p.raw_json);
                s.bind(15, hash);
                bind_text_or_null(s, 17, p.platform_status);
                s.bind(18, p.scope);
            },
            p.scope.empty() ? &st_.see_product : nullptr);
        expect_unchanged_ = outcome == Outcome::unchanged;
        if ((outcome == Outcome::updated || (outcome == Outcome::inserted && !p.sku.empty())) &&
            account_has_stock()) {
            Use q(st_.relink_stock);
            q->bind(1, key_.account);
            bind_text_or_null(*q, 2, p.sku);
            q->bind(3, p.external_id);
            q->exec();
        }
        after_record("product", p.external_id, outcome);
    }

    bool touch_if_unchanged(const std::string& external_id, const std::string& scope,
                            const std::string& hash) {
        Use q(scope.empty() ? st_.see_unchanged_product : st_.touch_unchanged_product);
        q->bind(1, key_.account);
        q->bind(2, external_id);
        q->bind(3, now_);
        q->bind(4, hash);
        return q->exec() == 1;
    }

    // Relinking stock to products is a no-op for an account without stock rows (most shops):
    // asked once per page, and again after the page writes stock.
    bool account_has_stock() {
        if (!account_has_stock_) {
            Use q(st_.account_has_stock);
            q->bind(1, key_.account);
            account_has_stock_ = q->executeStep();
        }
        return *account_has_stock_;
    }

    void write(const Category& c) {
        tally_.before_row();
        const std::string hash = store::record_hash(c);
        const Outcome outcome = upsert(
            st_.categories, hash, [&](Statement& s) { s.bind(2, c.external_id); },
            [&](Statement& s) {
                bind_text_or_null(s, 3, c.parent_external_id);
                bind_text_or_null(s, 4, c.code);
                bind_text_or_null(s, 5, c.name);
                bind_text_or_null(s, 6, c.status);
                bind_time(s, 7, c.source_modified_at);
                s.bindNoCopy(8, c.raw_json);
                s.bind(9, hash);
            });
        after_record("category", c.external_id, outcome);
    }

    void write(const StockLevel& l) {
        tally_.before_row();
        account_has_stock_.reset();
        const std::string hash = store::record_hash(l);
        const Outcome outcome = upsert(
            st_.stock_levels, hash,
            [&](Statement& s) {
                s.bind(2, l.external_id);
                s.bind(3, l.warehouse);  // part of the key: '' means all warehouses
            },
            [&](Statement& s) {
                bind_text_or_null(s, 4, l.sku);
                s.bind(5, l.quantity.text());
                s.bind(6, static_cast<std::int64_t>(l.change_count));
                bind_time(s, 7, l.source_modified_at);
                s.bindNoCopy(8, l.raw_json);
                s.bind(9, hash);
            });
        after_record("stock_level", l.external_id, outcome);
    }

    void write(const Order& o) {
        tally_.before_row();
        const std::string hash = store::record_hash(o);
        const Outcome outcome = upsert(
            st_.orders, hash, [&](Statement& s) { s.bind(2, o.external_id); },
            [&](Statement& s) {
                s.bind(3, std::string(to_string(o.status)));
                bind_text_or_null(s, 4, o.platform_status);
                bind_text_or_null(s, 5, o.currency);
                bind_decimal(s, 6, o.total_amount);
                bind_time(s, 7, o.created_at);
                bind_time(s, 8, o.source_modified_at);
                s.bindNoCopy(9, o.raw_json);
                s.bind(10, hash);
                bind_decimal(s, 11, o.subtotal_amount);
                bind_decimal(s, 12, o.shipping_cost);
                bind_text_or_null(s, 13, o.pack_status);
                bind_text_or_null(s, 14, o.shipping_way);
                bind_text_or_null(s, 15, o.tracking_number);
                bind_time(s, 16, o.paid_at);
                bind_time(s, 17, o.shipped_at);
                bind_text_or_null(s, 18, o.site_number);
                bind_text_or_null(s, 19, o.delivery_address_json);
            });
        if (outcome != Outcome::unchanged) {
            replace_order_lines(o);
        }
        after_record("order", o.external_id, outcome);
    }

    // Replaces the image set of one product with `set` (files already in `folder`); adds to
    // `stale` the files its old rows named that the new set does not.
    void write_image_set(const std::string& product, const std::vector<const Image*>& set,
                         store::ImageFolder& folder, std::vector<std::string>& stale) {
        std::map<std::int64_t, std::string> old_rows;
        {
            Use q(st_.image_rows_of);
            q->bind(1, key_.account);
            q->bind(2, product);
            while (q->executeStep()) {
                old_rows[q->getColumn(0).getInt64()] = q->getColumn(1).getString();
            }
        }
        std::set<std::string> kept_files;
        std::set<std::int64_t> kept_positions;
        for (const Image* i : set) {
            tally_.before_row();
            const std::string file = folder.path_of(i->sha256).string();
            kept_files.insert(file);
            const std::string hash = store::record_hash(*i);
            const Outcome outcome = upsert(
                st_.images, hash,
                [&](Statement& s) {
                    s.bind(2, product);
                    s.bind(3, static_cast<std::int64_t>(i->position));
                },
                [&](Statement& s) {
                    s.bind(4, file);
                    s.bind(5, i->sha256);
                    s.bind(6, static_cast<std::int64_t>(i->data.size()));
                    bind_time(s, 7, i->source_modified_at);
                    s.bind(8, hash);
                });
            kept_positions.insert(i->position);
            // Images have no key of their own: the feed names their product.
            tally_.count(outcome);
            if (outcome != Outcome::unchanged) {
                record_change("image", product, op_of(outcome));
            }
        }
        for (const auto& [position, file] : old_rows) {
            if (kept_positions.contains(position)) continue;
            Use q(st_.delete_image_row);
            q->bind(1, key_.account);
            q->bind(2, product);
            q->bind(3, position);
            q->exec();
            ++tally_.stats.deleted;
            record_change("image", product, "delete");
        }
        resolve_dead_letters_of(product);
        for (const auto& [position, file] : old_rows) {
            if (!kept_files.contains(file)) stale.push_back(file);
        }
    }

    void write(const Country& c) {
        tally_.before_row();
        const std::string hash = store::record_hash(c);
        tally_.count(upsert(
            st_.countries, hash, [&](Statement& s) { s.bind(2, c.external_id); },
            [&](Statement& s) {
                bind_text_or_null(s, 3, c.code);
                bind_text_or_null(s, 4, c.name);
                s.bind(5, std::int64_t{c.ship_to_state ? 1 : 0});
                s.bind(6, c.states_json.empty() ? std::string("[]") : c.states_json);
                s.bindNoCopy(7, c.raw_json);
                s.bind(8, hash);
            }));
    }

    void write(const LedgerEntry& e) {
        tally_.before_row();
        const std::string created = format_utc_iso(e.created_at);
        const auto bind = [&](Statement& q) {
            q.bind(1, key_.account);
            q.bind(2, created);
            q.bind(3, e.tx_type);
            q.bind(4, e.reference);
            q.bind(5, e.amount.text());
            q.bind(6, e.balance.text());
            q.bind(7, e.occurrence);
            q.bindNoCopy(8, e.raw_json);
            q.bind(9, now_);
        };
        Use insert(st_.insert_bill);
        bind(*insert);
        if (insert->exec() == 1) {
            ++inserted_rows_["ledger"];
            tally_.count(Outcome::inserted);
            return;
        }
        Use touch(st_.touch_bill);  // seen before: the same bill, read again
        bind(*touch);
        touch->exec();
        tally_.count(Outcome::unchanged);
    }

    void write(const AccountBalance& b) {
        tally_.before_row();
        Use q(st_.upsert_balance);
        q->bind(1, key_.account);
        q->bind(2, b.balance.text());
        bind_text_or_null(*q, 3, b.currency);
        q->bind(4, format_utc_iso(b.observed_at));
        q->exec();
    }

    void write_tombstone(const std::string& product_external_id) {
        tally_.before_row();
        std::optional<std::string> new_hash;
        {
            Use q(st_.product_status);
            q->bind(1, key_.account);
            q->bind(2, product_external_id);
            if (q->executeStep() && q->getColumn(0).getString() != "deleted") {
                new_hash = store::tombstone_hash(q->getColumn(1).getString());
            }
        }
        ++tally_.rows_written;
        if (!new_hash) {
            return;  // unknown, or deleted already: nothing changes, no change row
        }
        Use q(st_.mark_product_deleted);
        q->bind(1, key_.account);
        q->bind(2, product_external_id);
        q->bind(3, *new_hash);
        q->exec();
        ++tally_.stats.deleted;
        record_change("product", product_external_id, "delete");
    }

    // A product listed again without its details: unchanged, it only gets last_seen_at. Unknown
    // or deleted ids change nothing (the adapter fetches those instead of touching them).
    void write_seen(const std::string& product_external_id) {
        tally_.before_row();
        Use q(st_.touch_seen_product);
        q->bind(1, key_.account);
        q->bind(2, product_external_id);
        q->bind(3, now_);
        ++tally_.rows_written;
        if (q->exec() > 0) ++tally_.stats.unchanged;
    }

    void write(const DeadLetter& d) {
        tally_.before_row();
        // Letters without a key would all collapse into one row: key them by their payload.
        const std::string record_key =
            d.record_key.empty() ? "payload#" + content_hash(d.payload) : d.record_key;
        Use q(st_.upsert_dead_letter);
        q->bind(1, key_.account);
        q->bind(2, key_.stream);
        q->bind(3, record_key);
        q->bindNoCopy(4, d.payload);
        // Error text quotes platforms, which may echo what they were sent: credentials and
        // signatures are masked before it is stored, like every text that leaves the process.
        q->bind(5, log::redact(d.error));
        q->bind(6, now_);
        q->exec();
        ++tally_.rows_written;
        ++tally_.stats.dead_lettered;
    }

    void write_cursor(const nlohmann::json& cursor) {
        tally_.before_row();
        Use q(st_.upsert_cursor);
        q->bind(1, key_.account);
        q->bind(2, key_.stream);
        q->bind(3, cursor.dump());
        q->bind(4, now_);
        q->exec();
    }

  private:
    template <class BindKey, class BindFields>
    Outcome upsert(RecordStatements& rs, const std::string& hash, BindKey bind_key,
                   BindFields bind_fields, Statement* touch = nullptr) {
        std::optional<std::string> stored_hash;
        {
            Use q(rs.select_hash);
            q->bind(1, key_.account);
            bind_key(*q);
            if (q->executeStep()) {
                stored_hash = q->getColumn(0).getString();
            }
        }
        if (stored_hash && *stored_hash == hash) {
            Use q(touch ? *touch : rs.touch);
            q->bind(1, key_.account);
            bind_key(*q);
            q->bind(rs.now_param_index, now_);
            q->exec();
            return Outcome::unchanged;
        }
        Use q(stored_hash ? rs.update : rs.insert);
        q->bind(1, key_.account);
        bind_key(*q);
        bind_fields(*q);
        q->bind(rs.now_param_index, now_);
        q->exec();
        if (stored_hash) return Outcome::updated;
        ++inserted_rows_[rs.table];
        return Outcome::inserted;
    }

    void replace_order_lines(const Order& o) {
        {
            Use q(st_.delete_order_lines);
            q->bind(1, key_.account);
            q->bind(2, o.external_id);
            q->exec();
        }
        std::int64_t line_number = 0;
        for (const OrderLine& line : o.lines) {
            Use q(st_.insert_order_line);
            q->bind(1, key_.account);
            q->bind(2, o.external_id);
            q->bind(3, ++line_number);
            bind_text_or_null(*q, 4, line.line_id);
            bind_text_or_null(*q, 5, line.sku);
            bind_text_or_null(*q, 6, line.title);
            q->bind(7, line.quantity.text());
            bind_decimal(*q, 8, line.unit_price);
            bind_decimal(*q, 9, line.amount);
            q->exec();
        }
    }

    void after_record(const char* entity, const std::string& external_id, Outcome outcome) {
        tally_.count(outcome);
        if (outcome != Outcome::unchanged) {
            record_change(entity, external_id, op_of(outcome));
        }
        resolve_dead_letters_of(external_id);
    }

    // The page's change rows are written together by flush_changes, in the order recorded.
    void record_change(const char* entity, const std::string& external_id, const char* op) {
        pending_changes_.push_back({entity, external_id, op});
    }

    void bind_run(Statement& q, int index) const {
        if (run_id_ > 0) {
            q.bind(index, run_id_);
        } else {
            q.bind(index);  // applied outside a recorded run (tools, tests)
        }
    }

    // Unresolved letters of this stream by the id they name: the whole key and, for a
    // "field=value" key, the value. Usually empty, so the per-record lookup costs nothing.
    void load_unresolved_dead_letters() {
        Use q(st_.unresolved_dead_letters);
        q->bind(1, key_.account);
        q->bind(2, key_.stream);
        while (q->executeStep()) {
            const std::int64_t id = q->getColumn(0).getInt64();
            const std::string record_key = q->getColumn(1).getString();
            unresolved_[record_key].push_back(id);
            if (const auto eq = record_key.find('='); eq != std::string::npos) {
                unresolved_[record_key.substr(eq + 1)].push_back(id);
            }
        }
    }

    void resolve_dead_letters_of(const std::string& external_id) {
        if (unresolved_.empty()) {
            return;
        }
        auto it = unresolved_.find(external_id);
        if (it == unresolved_.end()) {
            return;
        }
        for (const std::int64_t id : it->second) {
            Use q(st_.resolve_dead_letter);
            q->bind(1, id);
            q->bind(2, now_);
            q->exec();
        }
        unresolved_.erase(it);
    }

    PageStatements& st_;
    const StreamKey& key_;
    std::int64_t run_id_;
    std::string now_;
    store::PageTally tally_;
    struct PendingChange {
        const char* entity;
        std::string external_id;
        const char* op;
    };
    std::vector<PendingChange> pending_changes_;
    std::map<std::string_view, std::int64_t> inserted_rows_;  // by record_counts.tbl
    bool expect_unchanged_ = false;
    std::optional<bool> account_has_stock_;
    std::unordered_map<std::string, std::vector<std::int64_t>> unresolved_;
};

nlohmann::json column_json(const SQLite::Column& c) {
    if (c.isInteger()) {
        return c.getInt64();
    }
    if (c.isFloat()) {
        return c.getDouble();
    }
    if (c.isNull()) {
        return nullptr;
    }
    return c.getString();  // TEXT (the schema has no BLOB column)
}

}  // namespace

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

// --- account state and reads for adapters ------------------------------------------------------

Result<AccountState> SqliteStore::load_account_state(const std::string& account) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded(
        "reading the state of account '" + account + "'", [&]() -> Result<AccountState> {
            Statement q(*impl_->db, "SELECT name, value FROM account_state WHERE account = ?1");
            q.bind(1, account);
            AccountState out;
            while (q.executeStep()) {
                out.emplace(q.getColumn(0).getString(), q.getColumn(1).getString());
            }
            return out;
        });
}

Status SqliteStore::save_account_state(const std::string& account, const AccountState& values) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    return impl_->guarded("saving the state of account '" + account + "'", [&]() -> Status {
        SQLite::Database& db = *impl_->db;
        // A rotated refresh token is the only copy once the platform has answered: this one
        // commit is synced to disk (FULL), not only to the WAL as pages are (NORMAL).
        db.exec("PRAGMA synchronous = FULL");
        struct RestoreNormal {
            SQLite::Database& db;
            ~RestoreNormal() {
                try {
                    db.exec("PRAGMA synchronous = NORMAL");
                } catch (const std::exception&) {
                    // FULL stays: slower pages, never less safe.
                }
            }
        } restore{db};
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        if (auto known = impl_->require_account(account); !known.ok()) {
            return known;
        }
        Statement q(db,
                    "INSERT INTO account_state (account, name, value, updated_at)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account, name) DO UPDATE SET"
                    " value = excluded.value, updated_at = excluded.updated_at");
        const std::string now = impl_->now_text();
        for (const auto& [name, value] : values) {
            q.bind(1, account);
            q.bind(2, name);
            q.bind(3, value);
            q.bind(4, now);
            q.exec();
            q.reset();
        }
        tx.commit();
        return {};
    });
}

namespace {

Status require_product_entity(const std::string& entity) {
    if (entity == "product") {
        return {};
    }
    return Error::config("store reads for adapters know the entity 'product', not '" + entity +
                         "'");
}

}  // namespace

Result<KnownVersions> SqliteStore::known_versions(const std::string& account,
                                                  const std::string& entity,
                                                  const std::string& scope,
                                                  const std::vector<std::string>& ids) {
    if (auto st = require_product_entity(entity); !st.ok()) {
        return std::move(st).error();
    }
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded(
        "reading stored versions of " + std::to_string(ids.size()) + " products of account '" +
            account + "'",
        [&]() -> Result<KnownVersions> {
            SQLite::Transaction snapshot(*impl_->db, SQLite::TransactionBehavior::DEFERRED);
            Statement q(*impl_->db,
                        "SELECT content_hash, source_modified_at,"
                        " max(last_seen_at, coalesce((SELECT s.last_seen_at FROM product_seen s"
                        " WHERE s.account = ?1 AND s.external_id = ?2), '')), status"
                        " FROM products WHERE account = ?1 AND external_id = ?2 AND scope = ?3");
            KnownVersions out;
            for (const std::string& id : ids) {
                q.bind(1, account);
                q.bind(2, id);
                q.bind(3, scope);
                if (q.executeStep()) {
                    KnownVersion v;
                    v.content_hash = q.getColumn(0).getString();
                    v.source_modified_at = time_column(q.getColumn(1));
                    v.last_seen_at = time_column(q.getColumn(2));
                    v.deleted = q.getColumn(3).getString() == "deleted";
                    out.insert_or_assign(id, std::move(v));
                }
                q.reset();
            }
            return out;
        });
}

Result<std::vector<std::string>> SqliteStore::unseen_since(const std::string& account,
                                                           const std::string& entity,
                                                           const std::string& scope,
                                                           UtcTime pass_start, std::size_t limit) {
    if (auto st = require_product_entity(entity); !st.ok()) {
        return std::move(st).error();
    }
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded(
        "listing products of account '" + account + "' unseen since " + format_utc_iso(pass_start),
        [&]() -> Result<std::vector<std::string>> {
            // `scope <> ''` lets the partial index products_by_scope serve a scoped pass.
            Statement q(*impl_->db,
                        scope.empty()
                            ? "SELECT external_id FROM products_last_seen JOIN products"
                              " USING (account, external_id) WHERE account = ?1 AND scope = ?2"
                              " AND status <> 'deleted' AND products_last_seen.last_seen_at < ?3"
                              " ORDER BY external_id LIMIT ?4"
                            : "SELECT external_id FROM products WHERE account = ?1 AND scope = ?2"
                              " AND scope <> '' AND status <> 'deleted' AND last_seen_at < ?3"
                              " ORDER BY external_id LIMIT ?4");
            q.bind(1, account);
            q.bind(2, scope);
            q.bind(3, format_utc_iso(pass_start));
            q.bind(4, static_cast<std::int64_t>(limit));
            std::vector<std::string> out;
            while (q.executeStep()) {
                out.push_back(q.getColumn(0).getString());
            }
            return out;
        });
}

Result<ImageSpace> SqliteStore::image_space(const std::string& folder,
                                            const ImageCandidates& candidates) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("measuring the image folder", [&]() -> Result<ImageSpace> {
        store::ImageFolder& images = impl_->image_folder(folder);
        ImageSpace space;
        std::set<std::string> counted;
        for (const auto& [sha256, bytes] : candidates) {
            if (counted.insert(sha256).second && !images.contains(sha256)) {
                space.incoming_bytes += bytes;
            }
        }
        space.used_bytes = images.bytes_used();
        space.free_bytes = images.bytes_free();
        return space;
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

// --- status -------------------------------------------------------------------------------------

Result<std::vector<StreamStatus>> SqliteStore::status() {
    using Out = Result<std::vector<StreamStatus>>;
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("reading the status", [&]() -> Out {
        SQLite::Database& db = *impl_->db;
        // One read transaction: every figure comes from the same snapshot.
        SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED);
        // Every figure is a primary-key or index lookup (stream_run_summary and record_counts
        // are kept by triggers, migration 0004): the cost does not grow with history.
        Statement streams(
            db,
            "WITH keys AS (SELECT account, stream FROM sync_state"
            "              UNION SELECT account, stream FROM stream_run_summary)"
            " SELECT k.account, k.stream, a.platform, a.state, a.state_reason, s.cursor,"
            " s.updated_at,"
            " (SELECT started_at FROM sync_runs WHERE id = m.last_run_id),"
            " (SELECT finished_at FROM sync_runs WHERE id = m.last_success_run_id),"
            " (SELECT count(*) FROM dead_letters d WHERE d.account = k.account"
            "   AND d.stream = k.stream AND d.resolved_at IS NULL),"
            " e.error, e.finished_at"
            " FROM keys k"
            " LEFT JOIN stream_run_summary m ON m.account = k.account AND m.stream = k.stream"
            " LEFT JOIN sync_runs e ON e.id = m.last_error_run_id"
            " LEFT JOIN accounts a ON a.name = k.account"
            " LEFT JOIN sync_state s ON s.account = k.account AND s.stream = k.stream"
            " ORDER BY k.account, k.stream");
        Statement records(db, "SELECT records FROM record_counts WHERE account = ?1 AND tbl = ?2");
        Statement balance(db,
                          "SELECT balance, currency, observed_at FROM account_balances"
                          " WHERE account = ?1");
        std::vector<StreamStatus> out;
        while (streams.executeStep()) {
            StreamStatus s;
            s.account = streams.getColumn(0).getString();
            s.stream = streams.getColumn(1).getString();
            s.platform = text_column(streams.getColumn(2)).value_or("");
            s.account_state = text_column(streams.getColumn(3)).value_or("ok");
            s.account_state_reason = text_column(streams.getColumn(4)).value_or("");
            if (auto cursor = text_column(streams.getColumn(5))) {
                s.cursor = nlohmann::json::parse(*cursor, nullptr, /*allow_exceptions=*/false);
                if (s.cursor.is_discarded()) {
                    s.cursor = *cursor;  // shown as text; load_cursor reports it
                }
            }
            s.cursor_updated_at = time_column(streams.getColumn(6));
            s.last_run_started_at = time_column(streams.getColumn(7));
            s.last_success_at = time_column(streams.getColumn(8));
            s.dead_letters = streams.getColumn(9).getInt64();

            s.last_error = text_column(streams.getColumn(10));
            s.last_error_at = time_column(streams.getColumn(11));
            if (auto table = stream_tables().find(s.stream); table != stream_tables().end()) {
                Use count(records);
                count->bind(1, s.account);
                count->bind(2, table->second);
                s.records = count->executeStep() ? count->getColumn(0).getInt64() : 0;
            }
            if (!out.empty() && out.back().account == s.account) {
                s.account_balance = out.back().account_balance;  // rows come ordered by account
            } else {
                Use read(balance);
                read->bind(1, s.account);
                if (read->executeStep()) {
                    // Written by this store from a Decimal: exact text, parsed back unchanged.
                    auto amount = Decimal::parse(read->getColumn(0).getString());
                    auto observed = time_column(read->getColumn(2));
                    if (amount && observed) {
                        s.account_balance = AccountBalance{
                            *amount, text_column(read->getColumn(1)).value_or(""), *observed};
                    }
                }
            }
            out.push_back(std::move(s));
        }
        return out;
    });
}

// --- retention ---------------------------------------------------------------------------------

Result<SqliteStore::PruneCount> SqliteStore::prune_batch(UtcTime runs_before,
                                                         UtcTime changes_before,
                                                         std::int64_t batch) {
    using Out = Result<PruneCount>;
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("pruning history", [&]() -> Out {
        SQLite::Database& db = *impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        // Only the oldest `batch` rows are looked at (ids grow with time, so the scan stops
        // there); of those, the ones older than `before` that `keep` does not hold back go.
        // Table and column names are literals from this function, never input.
        auto prune_oldest = [&](const std::string& table, const std::string& time_column,
                                UtcTime before, const std::string& keep) {
            Statement q(db, "DELETE FROM " + table + " WHERE id IN (SELECT id FROM (SELECT id, " +
                                time_column + " FROM " + table + " ORDER BY id LIMIT ?2) WHERE " +
                                time_column + " < ?1 AND " + keep + ")");
            q.bind(1, format_utc_iso(before));
            q.bind(2, batch);
            return static_cast<std::int64_t>(q.exec());
        };
        PruneCount n;
        // Status reads each stream's latest run, success and failure.
        n.runs = prune_oldest("sync_runs", "started_at", runs_before,
                              "id NOT IN (SELECT last_run_id FROM stream_run_summary"
                              " WHERE last_run_id IS NOT NULL"
                              " UNION SELECT last_success_run_id FROM stream_run_summary"
                              " WHERE last_success_run_id IS NOT NULL"
                              " UNION SELECT last_error_run_id FROM stream_run_summary"
                              " WHERE last_error_run_id IS NOT NULL)");
        // A change stays until every registered consumer has read it.
        n.changes = prune_oldest("changes", "changed_at", changes_before,
                                 "id <= (SELECT coalesce(min(last_id), 9223372036854775807)"
                                 " FROM change_consumers)");
        tx.commit();
        return n;
    });
}

// --- dead letters (CLI) ------------------------------------------------------------------------

namespace {

constexpr const char* kDeadLetterColumns =
    "SELECT id, account, stream, record_key, payload, error, attempts, first_seen_at,"
    " last_seen_at, resolved_at FROM dead_letters";

// One row of a query on kDeadLetterColumns.
DeadLetterRow dead_letter_row(Statement& q) {
    DeadLetterRow r;
    r.id = q.getColumn(0).getInt64();
    r.account = q.getColumn(1).getString();
    r.stream = q.getColumn(2).getString();
    r.record_key = q.getColumn(3).getString();
    r.payload = q.getColumn(4).getString();
    r.error = q.getColumn(5).getString();
    r.attempts = q.getColumn(6).getInt64();
    r.first_seen_at = q.getColumn(7).getString();
    r.last_seen_at = q.getColumn(8).getString();
    r.resolved_at = text_column(q.getColumn(9));
    return r;
}

}  // namespace

Result<std::vector<DeadLetterRow>> SqliteStore::dead_letters(const DeadLetterFilter& filter) {
    using Out = Result<std::vector<DeadLetterRow>>;
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("reading dead letters", [&]() -> Out {
        Statement q(*impl_->db, kDeadLetterColumns +
                                    std::string(" WHERE (?1 IS NULL OR account = ?1)"
                                                " AND (?2 IS NULL OR stream = ?2)"
                                                " AND (?3 OR resolved_at IS NULL) ORDER BY id"));
        if (filter.account) q.bind(1, *filter.account);
        if (filter.stream) q.bind(2, *filter.stream);
        q.bind(3, filter.include_resolved ? 1 : 0);
        std::vector<DeadLetterRow> out;
        while (q.executeStep()) out.push_back(dead_letter_row(q));
        return out;
    });
}

Status SqliteStore::dismiss_dead_letters(const std::vector<std::int64_t>& ids) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    const std::string now = impl_->now_text();
    return impl_->guarded("dismissing dead letters", [&]() -> Status {
        SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        Statement q(
            *impl_->db,
            "UPDATE dead_letters SET resolved_at = ?2 WHERE id = ?1 AND resolved_at IS NULL");
        for (const std::int64_t id : ids) {
            q.bind(1, id);
            q.bind(2, now);
            if (q.exec() != 1) {
                return Error::config("dead letter " + std::to_string(id) +
                                     " is unknown or already resolved; nothing was dismissed");
            }
            q.reset();
        }
        tx.commit();
        return {};
    });
}

Result<std::optional<DeadLetterRow>> SqliteStore::dead_letter(std::int64_t id) {
    using Out = Result<std::optional<DeadLetterRow>>;
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("reading dead letter " + std::to_string(id), [&]() -> Out {
        Statement q(*impl_->db, kDeadLetterColumns + std::string(" WHERE id = ?1"));
        q.bind(1, id);
        if (!q.executeStep()) return std::optional<DeadLetterRow>();
        return std::optional<DeadLetterRow>(dead_letter_row(q));
    });
}

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

Status SqliteStore::record_dead_letter_retry_failure(std::int64_t id, const std::string& error) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    const std::string letter = "dead letter " + std::to_string(id);
    return impl_->guarded("recording the retry of " + letter, [&]() -> Status {
        Statement q(*impl_->db,
                    "UPDATE dead_letters SET error = ?2, attempts = attempts + 1,"
                    " last_seen_at = ?3 WHERE id = ?1 AND resolved_at IS NULL");
        q.bind(1, id);
        q.bind(2, log::redact(error));
        q.bind(3, impl_->now_text());
        if (q.exec() != 1) return Error::config(letter + " is unknown or already resolved");
        return {};
    });
}

// --- export -------------------------------------------------------------------------------------

namespace {

std::string column_text(const SQLite::Column& c) {
    if (c.isNull()) return {};
    if (c.isFloat()) return nlohmann::json(c.getDouble()).dump();
    return c.getString();  // SQLite's own text of integers; TEXT as stored
}

}  // namespace

Status SqliteStore::export_table(const std::string& table, std::ostream& out, ExportFormat format) {
    auto order = store::export_order(table);
    if (!order.ok()) return std::move(order).error();
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    return impl_->guarded("exporting table " + table, [&]() -> Status {
        // `table` is one of the fixed list (export_order), never arbitrary input.
        std::string columns = "*";
        std::string from = table;
        if (from == "products") {
            // A product read again unchanged has its last_seen_at in product_seen.
            columns.clear();
            Statement info(*impl_->db,
                           "SELECT name FROM pragma_table_info('products') ORDER BY cid");
            while (info.executeStep()) {
                const std::string name = info.getColumn(0).getString();
                columns +=
                    (columns.empty() ? "" : ", ") +
                    (name == "last_seen_at" ? "products_last_seen.last_seen_at AS last_seen_at"
                                            : "products." + name);
            }
            from = "products JOIN products_last_seen USING (account, external_id)";
        }
        Statement q(*impl_->db, "SELECT " + columns + " FROM " + from + " ORDER BY " + *order);
        const int column_count = q.getColumnCount();
        std::vector<std::string> names;
        names.reserve(static_cast<std::size_t>(column_count));
        for (int i = 0; i < column_count; ++i) {
            names.emplace_back(q.getColumnName(i));
        }
        if (format == ExportFormat::csv) store::write_csv_row(out, names);
        while (q.executeStep()) {
            if (format == ExportFormat::csv) {
                std::vector<std::string> fields;
                fields.reserve(names.size());
                for (int i = 0; i < column_count; ++i) {
                    fields.push_back(column_text(q.getColumn(i)));
                }
                store::write_csv_row(out, fields);
                if (!out) {
                    return Error::storage("writing the export of table " + table +
                                          " failed: the output stream refused the data");
                }
                continue;
            }
            nlohmann::json row = nlohmann::json::object();
            for (int i = 0; i < column_count; ++i) {
                row[names[static_cast<std::size_t>(i)]] = column_json(q.getColumn(i));
            }
            // Invalid UTF-8 from a platform is replaced rather than failing the whole export.
            out << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
            if (!out) {
                return Error::storage("writing the export of table " + table +
                                      " failed: the output stream refused the data");
            }
        }
        out.flush();
        return {};
    });
}

// --- operations ---------------------------------------------------------------------------------

Status SqliteStore::set_account_links(
    const std::vector<std::pair<std::string, std::string>>& links) {
    if (auto st = impl_->require_current_schema(); !st.ok()) return st;
    if (auto st = impl_->require_writable(); !st.ok()) return st;
    const std::string now = impl_->now_text();
    return impl_->guarded("recording the account links", [&]() -> Status {
        SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        impl_->db->exec("DELETE FROM account_links");
        Statement q(
            *impl_->db,
            "INSERT INTO account_links (account, stock_from, updated_at) VALUES (?1, ?2, ?3)");
        for (const auto& [account, stock_from] : links) {
            q.bind(1, account);
            q.bind(2, stock_from);
            q.bind(3, now);
            q.exec();
            q.reset();
        }
        tx.commit();
        return {};
    });
}

Status SqliteStore::save_account_metrics(const std::string& account, const AccountMetrics& m) {
    if (auto st = impl_->require_current_schema(); !st.ok()) return st;
    if (auto st = impl_->require_writable(); !st.ok()) return st;
    nlohmann::json responses = nlohmann::json::object();
    for (const auto& [code, n] : m.responses) responses[std::to_string(code)] = n;
    return impl_->guarded("saving the HTTP figures of account '" + account + "'", [&]() -> Status {
        Statement q(*impl_->db,
                    "INSERT INTO account_metrics (account, responses_json, transport_errors,"
                    " rate_limit_wait_us, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
                    " ON CONFLICT (account) DO UPDATE SET responses_json = excluded.responses_json,"
                    " transport_errors = excluded.transport_errors,"
                    " rate_limit_wait_us = excluded.rate_limit_wait_us,"
                    " updated_at = excluded.updated_at");
        q.bind(1, account);
        q.bind(2, responses.dump());
        q.bind(3, m.transport_errors);
        q.bind(4, m.rate_limit_wait_us);
        q.bind(5, impl_->now_text());
        q.exec();
        return {};
    });
}

Result<std::map<std::string, AccountMetrics>> SqliteStore::account_metrics() {
    if (auto st = impl_->require_current_schema(); !st.ok()) return st.error();
    std::map<std::string, AccountMetrics> out;
    auto st = impl_->guarded("reading the accounts' HTTP figures", [&]() -> Status {
        Statement q(*impl_->db,
                    "SELECT account, responses_json, transport_errors, rate_limit_wait_us"
                    " FROM account_metrics ORDER BY account");
        while (q.executeStep()) {
            AccountMetrics& m = out[q.getColumn(0).getString()];
            auto responses = nlohmann::json::parse(q.getColumn(1).getString(), nullptr, false);
            if (responses.is_object()) {
                for (const auto& [code, n] : responses.items()) {
                    if (n.is_number_integer()) m.responses[std::stoi(code)] = n.get<std::int64_t>();
                }
            }
            m.transport_errors = q.getColumn(2).getInt64();
            m.rate_limit_wait_us = q.getColumn(3).getInt64();
        }
        return {};
    });
    if (!st.ok()) return st.error();
    return out;
}

// --- memory -------------------------------------------------------------------------------------

void SqliteStore::release_memory() {
    // Only unused, clean pages go: an open transaction (there is none between cycles) keeps its
    // dirty pages.
    if (impl_->db) sqlite3_db_release_memory(impl_->db->getHandle());
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
