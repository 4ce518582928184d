#include "store/postgres/postgres_store.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <regex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <pqxx/pqxx>

#include "core/digest.hpp"
#include "log/log.hpp"
#include "store/embedded_migrations.hpp"
#include "store/image_files.hpp"
#include "store/migrator.hpp"
#include "store/page_tally.hpp"
#include "store/record_hash.hpp"
#include "store/table_export.hpp"

namespace csync {
namespace store {
// Generated from migrations/postgres/*.sql (src/CMakeLists.txt).
std::vector<std::pair<std::string_view, std::string_view>> embedded_postgres_migrations();
}  // namespace store

std::string redact_dsn(const std::string& dsn) {
    // URI form: scheme://user:password@host...; key/value form: password=secret or 'secret'.
    static const std::regex uri_password(R"(^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):[^@]*@)");
    static const std::regex kv_password(R"((^|\s)password\s*=\s*('([^'\\]|\\.)*'|\S+))");
    std::string out = std::regex_replace(dsn, uri_password, "$1:***@");
    out = std::regex_replace(out, kv_password, "$1password=***");
    // A password given as a URI query parameter (?password=...).
    static const std::regex query_password(R"(([?&]password=)[^&]*)");
    return std::regex_replace(out, query_password, "$1***");
}

namespace {

// Two-key advisory locks: this class id, and the hash of the store's schema, so that stores in
// different schemas of one database do not block each other.
constexpr const char* kStoreLockKey = "1668507000, hashtext(current_schema())";
// Serializes migrations of one schema (replicas starting together).
constexpr const char* kMigrationLockKey = "1668507001, hashtext(current_schema())";

// A column or expression of type timestamptz as the UTC ISO-8601 text of the SQLite schema.
std::string iso(const std::string& expr) {
    return "to_char((" + expr + ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

UtcTime to_utc_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::floor<std::chrono::seconds>(t);
}

// Statement parameters: nullopt is SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;

Param text_or_null(const std::string& value) {
    if (value.empty()) return std::nullopt;  // the schema's convention: not sent is NULL
    return value;
}
Param time_or_null(const std::optional<UtcTime>& value) {
    if (!value) return std::nullopt;
    return format_utc_iso(*value);
}
Param decimal_or_null(const std::optional<Decimal>& value) {
    if (!value) return std::nullopt;
    return value->text();
}
Param int_or_null(const std::optional<std::int64_t>& value) {
    if (!value) return std::nullopt;
    return std::to_string(*value);
}

pqxx::result run(pqxx::transaction_base& tx, const std::string& statement, const Params& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
    return tx.exec_prepared(statement, pqxx::prepare::make_dynamic_params(values));
}

std::optional<std::string> text_field(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return std::string(f.c_str(), f.size());
}
std::optional<UtcTime> time_field(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return parse_utc_iso(f.c_str());
}

// The table each stream feeds, for StreamStatus::records (as the SQLite store counts them).
const std::map<std::string, std::string, std::less<>>& stream_tables() {
    static const std::map<std::string, std::string, std::less<>> tables = {
        {"products", "products"}, {"categories", "categories"}, {"stock", "stock_levels"},
        {"orders", "orders"},     {"images", "images"},         {"items", "products"},
        {"account", "ledger"},    {"countries", "countries"},
    };
    return tables;
}

const std::string kNotChanged = " WHERE {t}.content_hash <> excluded.content_hash";

std::string with_table(std::string sql, const std::string& table) {
    for (auto at = sql.find("{t}"); at != std::string::npos; at = sql.find("{t}")) {
        sql.replace(at, 3, table);
    }
    return sql;
}

// Every statement the store runs, prepared once per connection. Record upserts return one row
// (inserted: true or false) when they wrote, none when the stored content hash was equal.
const std::vector<std::pair<std::string, std::string>>& statements() {
    static const std::vector<std::pair<std::string, std::string>> all = {
        {"account_exists", "SELECT 1 FROM accounts WHERE name = $1"},
        {"run_exists", "SELECT 1 FROM sync_runs WHERE id = $1"},
        {"run_account", "SELECT account FROM sync_runs WHERE id = $1"},
        {"fence",
         "SELECT 1 FROM account_leases WHERE account = $1 AND owner = $2 AND token = $3"
         " AND expires_at > now() FOR SHARE"},
        {"upsert_product",
         with_table("INSERT INTO products (account, external_id, parent_external_id, sku, barcode,"
                    " title, brand, category_external_id, price, currency, stock, status,"
                    " source_modified_at, raw_json, content_hash, first_seen_at, last_seen_at,"
                    " platform_status, scope) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                    " $11, $12, $13, $14, $15, $16, $16, $17, $18)"
                    " ON CONFLICT (account, external_id) DO UPDATE SET"
                    " parent_external_id = excluded.parent_external_id, sku = excluded.sku,"
                    " barcode = excluded.barcode, title = excluded.title, brand = excluded.brand,"
                    " category_external_id = excluded.category_external_id,"
                    " price = excluded.price, currency = excluded.currency,"
                    " stock = excluded.stock, status = excluded.status,"
                    " source_modified_at = excluded.source_modified_at,"
                    " raw_json = excluded.raw_json, content_hash = excluded.content_hash,"
                    " last_seen_at = excluded.last_seen_at,"
                    " platform_status = excluded.platform_status, scope = excluded.scope" +
                        kNotChanged + " RETURNING (xmax = 0)",
                    "products")},
        {"touch_product",
         "UPDATE products SET last_seen_at = $3 WHERE account = $1 AND external_id = $2"},
        // Unscoped products seen again unchanged: the narrow product_seen row (migration 0012).
        {"see_product",
         "INSERT INTO product_seen (account, external_id, last_seen_at) VALUES ($1, $2, $3)"
         " ON CONFLICT (account, external_id) DO UPDATE SET last_seen_at = excluded.last_seen_at"},
        {"upsert_category",
         with_table("INSERT INTO categories (account, external_id, parent_external_id, code, name,"
                    " status, source_modified_at, raw_json, content_hash, first_seen_at,"
                    " last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)"
                    " ON CONFLICT (account, external_id) DO UPDATE SET"
                    " parent_external_id = excluded.parent_external_id, code = excluded.code,"
                    " name = excluded.name, status = excluded.status,"
                    " source_modified_at = excluded.source_modified_at,"
                    " raw_json = excluded.raw_json, content_hash = excluded.content_hash,"
                    " last_seen_at = excluded.last_seen_at" +
                        kNotChanged + " RETURNING (xmax = 0)",
                    "categories")},
        {"touch_category",
         "UPDATE categories SET last_seen_at = $3 WHERE account = $1 AND external_id = $2"},
        // product_external_id: the product of the same account with this sku (lowest
        // external_id when several share it), NULL when none.
        {"upsert_stock",
         with_table("INSERT INTO stock_levels (account, external_id, warehouse, sku, quantity,"
                    " change_count, product_external_id, source_modified_at, raw_json,"
                    " content_hash, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5,"
                    " $6, (SELECT p.external_id FROM products p WHERE p.account = $1"
                    " AND p.sku = $4 ORDER BY p.external_id LIMIT 1), $7, $8, $9, $10, $10)"
                    " ON CONFLICT (account, external_id, warehouse) DO UPDATE SET"
                    " sku = excluded.sku, quantity = excluded.quantity,"
                    " change_count = excluded.change_count,"
                    " product_external_id = excluded.product_external_id,"
                    " source_modified_at = excluded.source_modified_at,"
                    " raw_json = excluded.raw_json, content_hash = excluded.content_hash,"
                    " last_seen_at = excluded.last_seen_at" +
                        kNotChanged + " RETURNING (xmax = 0)",
                    "stock_levels")},
        {"touch_stock",
         "UPDATE stock_levels SET last_seen_at = $4"
         " WHERE account = $1 AND external_id = $2 AND warehouse = $3"},
        {"upsert_order",
         with_table("INSERT INTO orders (account, external_id, status, platform_status, currency,"
                    " total_amount, created_at, source_modified_at, raw_json, content_hash,"
                    " subtotal_amount, shipping_cost, pack_status, shipping_way,"
                    " tracking_number, paid_at, shipped_at, site_number, delivery_address,"
                    " first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
                    " $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)"
                    " ON CONFLICT (account, external_id) DO UPDATE SET status = excluded.status,"
                    " platform_status = excluded.platform_status, currency = excluded.currency,"
                    " total_amount = excluded.total_amount, created_at = excluded.created_at,"
                    " source_modified_at = excluded.source_modified_at,"
                    " raw_json = excluded.raw_json, content_hash = excluded.content_hash,"
                    " subtotal_amount = excluded.subtotal_amount,"
                    " shipping_cost = excluded.shipping_cost,"
                    " pack_status = excluded.pack_status, shipping_way = excluded.shipping_way,"
                    " tracking_number = excluded.tracking_number, paid_at = excluded.paid_at,"
                    " shipped_at = excluded.shipped_at, site_number = excluded.site_number,"
                    " delivery_address = excluded.delivery_address,"
                    " last_seen_at = excluded.last_seen_at" +
                        kNotChanged + " RETURNING (xmax = 0)",
                    "orders")},
        {"touch_order",
         "UPDATE orders SET last_seen_at = $3 WHERE account = $1 AND external_id = $2"},
        {"upsert_image",
         with_table("INSERT INTO images (account, product_external_id, position, file_path,"
                    " sha256, byte_size, source_modified_at, content_hash, first_seen_at,"
                    " last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
                    " ON CONFLICT (account, product_external_id, position) DO UPDATE SET"
                    " file_path = excluded.file_path, sha256 = excluded.sha256,"
                    " byte_size = excluded.byte_size,"
                    " source_modified_at = excluded.source_modified_at,"
                    " content_hash = excluded.content_hash, last_seen_at = excluded.last_seen_at" +
                        kNotChanged + " RETURNING (xmax = 0)",
                    "images")},
        {"touch_image",
         "UPDATE images SET last_seen_at = $4"
         " WHERE account = $1 AND product_external_id = $2 AND position = $3"},
        {"image_rows_of",
         "SELECT position, file_path FROM images WHERE account = $1 AND product_external_id = $2"},
        {"delete_image_row",
         "DELETE FROM images WHERE account = $1 AND product_external_id = $2 AND position = $3"},
        {"image_file_named", "SELECT 1 FROM images WHERE file_path = $1 LIMIT 1"},
        {"upsert_country",
         with_table("INSERT INTO countries (account, external_id, code, name, ship_to_state,"
                    " states, raw_json, content_hash, first_seen_at, last_seen_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
                    " ON CONFLICT (account, external_id) DO UPDATE SET code = excluded.code,"
                    " name = excluded.name, ship_to_state = excluded.ship_to_state,"
                    " states = excluded.states, raw_json = excluded.raw_json,"
                    " content_hash = excluded.content_hash, last_seen_at = excluded.last_seen_at" +
                        kNotChanged + " RETURNING (xmax = 0)",
                    "countries")},
        {"touch_country",
         "UPDATE countries SET last_seen_at = $3 WHERE account = $1 AND external_id = $2"},
        // A bill is its content: seen again, it only gets last_seen_at.
        {"insert_bill",
         "INSERT INTO ledger (account, created_at, tx_type, reference, amount, balance,"
         " occurrence, raw_json, first_seen_at, last_seen_at)"
         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING RETURNING 1"},
        {"touch_bill",
         "UPDATE ledger SET last_seen_at = $9 WHERE account = $1 AND created_at = $2"
         " AND tx_type = $3 AND reference = $4 AND amount = $5 AND balance = $6"
         " AND occurrence = $7 AND raw_json = $8"},
        {"upsert_balance",
         "INSERT INTO account_balances (account, balance, currency, observed_at)"
         " VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO UPDATE SET"
         " balance = excluded.balance, currency = excluded.currency,"
         " observed_at = excluded.observed_at"},
        {"account_has_stock", "SELECT 1 FROM stock_levels WHERE account = $1 LIMIT 1"},
        {"relink_stock",
         "UPDATE stock_levels SET product_external_id = (SELECT p.external_id"
         " FROM products p WHERE p.account = stock_levels.account"
         " AND p.sku = stock_levels.sku ORDER BY p.external_id LIMIT 1)"
         " WHERE account = $1 AND (sku = $2 OR product_external_id = $3)"},
        {"delete_order_lines",
         "DELETE FROM order_lines WHERE account = $1 AND order_external_id = $2"},
        {"insert_order_line",
         "INSERT INTO order_lines (account, order_external_id, line_number, line_id, sku, title,"
         " quantity, unit_price, amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"},
        {"product_status",
         "SELECT status, content_hash FROM products WHERE account = $1 AND external_id = $2"},
        {"mark_product_deleted",
         "UPDATE products SET status = 'deleted', content_hash = $3"
         " WHERE account = $1 AND external_id = $2"},
        {"touch_seen_product",
         "UPDATE products SET last_seen_at = $3"
         " WHERE account = $1 AND external_id = $2 AND status <> 'deleted'"},
        {"insert_change",
         "INSERT INTO changes (account, entity, external_id, op, run_id, changed_at)"
         " VALUES ($1, $2, $3, $4, $5, $6)"},
        {"upsert_dead_letter",
         "INSERT INTO dead_letters (account, stream, record_key, payload, error, attempts,"
         " first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)"
         " ON CONFLICT (account, stream, record_key) DO UPDATE SET payload = excluded.payload,"
         " error = excluded.error, attempts = dead_letters.attempts + 1,"
         " last_seen_at = excluded.last_seen_at, resolved_at = NULL"},
        {"unresolved_dead_letters",
         "SELECT id, record_key FROM dead_letters WHERE account = $1 AND stream = $2"
         " AND resolved_at IS NULL"},
        {"resolve_dead_letter", "UPDATE dead_letters SET resolved_at = $2 WHERE id = $1"},
        {"add_record_count",
         "INSERT INTO record_counts (account, tbl, records) VALUES ($1, $2, $3)"
         " ON CONFLICT (account, tbl) DO UPDATE SET"
         " records = record_counts.records + excluded.records"},
        {"upsert_cursor",
         "INSERT INTO sync_state (account, stream, cursor, updated_at) VALUES ($1, $2, $3, $4)"
         " ON CONFLICT (account, stream) DO UPDATE SET cursor = excluded.cursor,"
         " updated_at = excluded.updated_at"},
        {"load_cursor", "SELECT cursor FROM sync_state WHERE account = $1 AND stream = $2"},
        {"known_version",
         "SELECT content_hash, " + iso("p.source_modified_at") + ", " +
             iso("greatest(p.last_seen_at, (SELECT s.last_seen_at FROM product_seen s"
                 " WHERE s.account = $1 AND s.external_id = $2))") +
             ", status FROM products p WHERE account = $1 AND external_id = $2 AND scope = $3"},
        {"unseen_unscoped",
         "SELECT external_id FROM products_last_seen JOIN products USING (account, external_id)"
         " WHERE account = $1 AND scope = $2 AND status <> 'deleted'"
         " AND products_last_seen.last_seen_at < $3 ORDER BY external_id LIMIT $4"},
        {"unseen_scoped",
         "SELECT external_id FROM products WHERE account = $1 AND scope = $2 AND scope <> ''"
         " AND status <> 'deleted' AND last_seen_at < $3 ORDER BY external_id LIMIT $4"},
    };
    return all;
}

using store::op_of;
using store::Outcome;

}  // namespace

struct PostgresStore::Impl {
    std::string dsn;
    std::string shown_dsn;  // redacted
    std::string schema;
    Clock& clock;
    bool daemon_lock = false;
    std::unique_ptr<pqxx::connection> conn;
    std::vector<store::Migration> migrations;
    std::optional<int> fail_after_rows;
    std::map<std::string, LeaseFence> fences;
    std::map<std::string, store::ImageFolder> image_folders;

    Impl(std::string d, Clock& c) : dsn(std::move(d)), shown_dsn(redact_dsn(dsn)), clock(c) {}

    std::string now_text() const { return format_utc_iso(to_utc_seconds(clock.now())); }
    int latest_version() const { return migrations.empty() ? 0 : migrations.back().version; }

    // Connects (again, after a lost connection): session settings, statements, the daemon's
    // shared advisory lock. Throws.
    void connect() {
        conn.reset();
        auto c = std::make_unique<pqxx::connection>(dsn);
        pqxx::nontransaction session(*c);
        session.exec("SET TIME ZONE 'UTC'");
        if (!schema.empty()) {
            session.exec("CREATE SCHEMA IF NOT EXISTS " + c->quote_name(schema));
            session.exec("SET search_path TO " + c->quote_name(schema));
        }
        session.commit();
        if (daemon_lock) {
            pqxx::nontransaction lock(*c);
            const bool held = lock.exec(std::string("SELECT pg_try_advisory_lock_shared(") +
                                        kStoreLockKey + ")")[0][0]
                                  .as<bool>();
            if (!held) {
                throw std::runtime_error(
                    "`commerce-syncd migrate-store` is copying into this store (it holds the "
                    "store's advisory lock): start the daemon once it has finished");
            }
        }
        for (const auto& [name, sql] : statements()) c->prepare(name, sql);
        conn = std::move(c);
    }

    pqxx::connection& connection() {
        if (!conn || !conn->is_open()) connect();
        return *conn;
    }

    // Runs `fn`, turning any exception into Error::storage "<what> in PostgreSQL database
    // <dsn, password masked> failed: <PostgreSQL's message>".
    template <class F>
    auto guarded(const std::string& what, F&& fn) -> decltype(fn()) {
        try {
            return fn();
        } catch (const pqxx::broken_connection& e) {
            conn.reset();  // the next call connects again
            return Error::storage(what + " in PostgreSQL database " + shown_dsn +
                                  " failed: the connection was lost: " + redact_dsn(e.what()));
        } catch (const std::exception& e) {
            return Error::storage(what + " in PostgreSQL database " + shown_dsn +
                                  " failed: " + redact_dsn(e.what()));
        }
    }

    int recorded_version(pqxx::transaction_base& tx) {
        const auto exists = tx.exec("SELECT to_regclass('schema_version') IS NOT NULL");
        if (!exists[0][0].as<bool>()) return 0;
        return tx.exec("SELECT coalesce(max(version), 0) FROM schema_version")[0][0].as<int>();
    }

    // All pending migrations in one transaction; concurrent openers (replicas starting
    // together) wait for each other on a transaction advisory lock.
    int migrate() {
        pqxx::work tx(connection());
        tx.exec(std::string("SELECT pg_advisory_xact_lock(") + kMigrationLockKey + ")");
        tx.exec(
            "CREATE TABLE IF NOT EXISTS schema_version (version bigint PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL)");
        int version = recorded_version(tx);
        for (const store::Migration& m : migrations) {
            if (m.version <= version) continue;
            try {
                tx.exec(std::string(m.sql));
            } catch (const pqxx::sql_error& e) {
                throw std::runtime_error("migration " + m.name + " failed: " + e.what());
            }
            tx.exec_params(
                "INSERT INTO schema_version (version, name, applied_at)"
                " VALUES ($1, $2, $3)",
                m.version, m.name, now_text());
            version = m.version;
        }
        tx.commit();
        return version;
    }

    Status require_account(pqxx::transaction_base& tx, const std::string& account) {
        if (!run(tx, "account_exists", {account}).empty()) return {};
        return Error::storage("account '" + account +
                              "' is not registered in PostgreSQL database " + shown_dsn +
                              ": register_account must run before its streams");
    }
    Status require_run(pqxx::transaction_base& tx, std::int64_t run_id) {
        if (run_id <= 0) return {};
        if (!run(tx, "run_exists", {std::to_string(run_id)}).empty()) return {};
        return Error::storage("run " + std::to_string(run_id) +
                              " does not exist in PostgreSQL database " + shown_dsn +
                              ": pass the id begin_run returned");
    }

    // The lease check of every write transaction for `account` (set_lease_fence): the lease
    // row is locked FOR SHARE, so the lease cannot change hands before this transaction ends.
    Status check_fence(pqxx::transaction_base& tx, const std::string& account) {
        auto it = fences.find(account);
        if (it == fences.end()) return {};
        const LeaseFence& f = it->second;
        if (!run(tx, "fence", {account, f.owner, std::to_string(f.token)}).empty()) return {};
        return Error::fenced("account '" + account + "': owner '" + f.owner +
                             "' no longer holds lease token " + std::to_string(f.token) +
                             " (taken over or expired): the write was not committed");
    }

    bool image_file_named(pqxx::transaction_base& tx, const std::string& file) {
        return !run(tx, "image_file_named", {file}).empty();
    }

    // PostgreSQL has no file to put images beside: the folder must be configured.
    Result<store::ImageFolder*> image_folder(const std::string& configured) {
        if (configured.empty()) {
            return Error::config(
                "the PostgreSQL store keeps image files in a configured folder: set the images "
                "stream's `folder` option (a folder every replica shares)");
        }
        const std::string root = std::filesystem::absolute(configured).lexically_normal().string();
        auto [it, added] = image_folders.try_emplace(root, root);
        if (added) {
            // Files written for pages that never committed (a crash, a failed page).
            pqxx::nontransaction tx(connection());
            it->second.remove_unreferenced(
                [&](const std::string& f) { return image_file_named(tx, f); });
        }
        return &it->second;
    }
};

namespace {

// One apply_page call: the page's time, its counters and the dead letters it may resolve.
class PageWriter {
  public:
    PageWriter(pqxx::transaction_base& tx, const StreamKey& key, std::int64_t run_id,
               std::string now, std::optional<int> fail_after_rows)
        : tx_(tx),
          key_(key),
          run_(run_id > 0 ? Param(std::to_string(run_id)) : std::nullopt),
          now_(std::move(now)),
          tally_(fail_after_rows) {
        for (const auto& row : run(tx_, "unresolved_dead_letters", {key_.account, key_.stream})) {
            const std::int64_t id = row[0].as<std::int64_t>();
            const std::string record_key = row[1].c_str();
            unresolved_[record_key].push_back(id);
            if (const auto eq = record_key.find('='); eq != std::string::npos) {
                unresolved_[record_key.substr(eq + 1)].push_back(id);
            }
        }
    }

    ApplyStats& stats() { return tally_.stats; }

    void flush_counts() {
        for (const auto& [table, rows] : inserted_rows_) {
            if (rows > 0) run(tx_, "add_record_count", {key_.account, table, std::to_string(rows)});
        }
        inserted_rows_.clear();
    }

    void write(const Product& p) {
        tally_.before_row();
        const std::string hash = store::record_hash(p);
        const Outcome outcome = upsert(
            "upsert_product", "products",
            {key_.account, p.external_id, text_or_null(p.parent_external_id), text_or_null(p.sku),
             text_or_null(p.barcode), text_or_null(p.title), text_or_null(p.brand),
             text_or_null(p.category_external_id), decimal_or_null(p.price),
             text_or_null(p.currency), int_or_null(p.stock), std::string(to_string(p.status)),
             time_or_null(p.source_modified_at), p.raw_json, hash, now_,
             text_or_null(p.platform_status), p.scope},
            p.scope.empty() ? "see_product" : "touch_product", {key_.account, p.external_id, now_});
        if ((outcome == Outcome::updated || (outcome == Outcome::inserted && !p.sku.empty())) &&
            account_has_stock()) {
            run(tx_, "relink_stock", {key_.account, text_or_null(p.sku), p.external_id});
        }
        after_record("product", p.external_id, outcome);
    }

    void write(const Category& c) {
        tally_.before_row();
        const Outcome outcome =
            upsert("upsert_category", "categories",
                   {key_.account, c.external_id, text_or_null(c.parent_external_id),
                    text_or_null(c.code), text_or_null(c.name), text_or_null(c.status),
                    time_or_null(c.source_modified_at), c.raw_json, store::record_hash(c), now_},
                   "touch_category", {key_.account, c.external_id, now_});
        after_record("category", c.external_id, outcome);
    }

    void write(const StockLevel& l) {
        tally_.before_row();
        account_has_stock_.reset();
        const Outcome outcome =
            upsert("upsert_stock", "stock_levels",
                   {key_.account, l.external_id, l.warehouse, text_or_null(l.sku),
                    l.quantity.text(), std::to_string(l.change_count),
                    time_or_null(l.source_modified_at), l.raw_json, store::record_hash(l), now_},
                   "touch_stock", {key_.account, l.external_id, l.warehouse, now_});
        after_record("stock_level", l.external_id, outcome);
    }

    void write(const Order& o) {
        tally_.before_row();
        const Outcome outcome = upsert("upsert_order", "orders",
                                       {key_.account,
                                        o.external_id,
                                        std::string(to_string(o.status)),
                                        text_or_null(o.platform_status),
                                        text_or_null(o.currency),
                                        decimal_or_null(o.total_amount),
                                        time_or_null(o.created_at),
                                        time_or_null(o.source_modified_at),
                                        o.raw_json,
                                        store::record_hash(o),
                                        decimal_or_null(o.subtotal_amount),
                                        decimal_or_null(o.shipping_cost),
                                        text_or_null(o.pack_status),
                                        text_or_null(o.shipping_way),
                                        text_or_null(o.tracking_number),
                                        time_or_null(o.paid_at),
                                        time_or_null(o.shipped_at),
                                        text_or_null(o.site_number),
                                        text_or_null(o.delivery_address_json),
                                        now_},
                                       "touch_order", {key_.account, o.external_id, now_});
        if (outcome != Outcome::unchanged) {
            run(tx_, "delete_order_lines", {key_.account, o.external_id});
            std::int64_t line_number = 0;
            for (const OrderLine& line : o.lines) {
                run(tx_, "insert_order_line",
                    {key_.account, o.external_id, std::to_string(++line_number),
                     text_or_null(line.line_id), text_or_null(line.sku), text_or_null(line.title),
                     line.quantity.text(), decimal_or_null(line.unit_price),
                     decimal_or_null(line.amount)});
            }
        }
        after_record("order", o.external_id, outcome);
    }

    // Replaces the image set of one product with `set` (files already in `folder`); adds to
    // `stale` the files its old rows named that the new set does not.
    void write_image_set(const std::string& product, const std::vector<const Image*>& set,
                         store::ImageFolder& folder, std::vector<std::string>& stale) {
        std::map<std::int64_t, std::string> old_rows;
        for (const auto& row : run(tx_, "image_rows_of", {key_.account, product})) {
            old_rows[row[0].as<std::int64_t>()] = row[1].c_str();
        }
        std::set<std::string> kept_files;
        std::set<std::int64_t> kept_positions;
        for (const Image* i : set) {
            tally_.before_row();
            const std::string file = folder.path_of(i->sha256).string();
            kept_files.insert(file);
            const std::string position = std::to_string(i->position);
            const Outcome outcome = upsert(
                "upsert_image", "images",
                {key_.account, product, position, file, i->sha256, std::to_string(i->data.size()),
                 time_or_null(i->source_modified_at), store::record_hash(*i), now_},
                "touch_image", {key_.account, product, position, now_});
            kept_positions.insert(i->position);
            tally_.count(outcome);
            if (outcome != Outcome::unchanged) record_change("image", product, op_of(outcome));
        }
        for (const auto& [position, file] : old_rows) {
            if (kept_positions.contains(position)) continue;
            run(tx_, "delete_image_row", {key_.account, product, std::to_string(position)});
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
        tally_.count(upsert("upsert_country", "countries",
                            {key_.account, c.external_id, text_or_null(c.code),
                             text_or_null(c.name), std::string(c.ship_to_state ? "1" : "0"),
                             c.states_json.empty() ? std::string("[]") : c.states_json, c.raw_json,
                             store::record_hash(c), now_},
                            "touch_country", {key_.account, c.external_id, now_}));
    }

    void write(const LedgerEntry& e) {
        tally_.before_row();
        const Params params{key_.account,
                            format_utc_iso(e.created_at),
                            e.tx_type,
                            e.reference,
                            e.amount.text(),
                            e.balance.text(),
                            std::to_string(e.occurrence),
                            e.raw_json,
                            now_};
        if (!run(tx_, "insert_bill", params).empty()) {
            ++inserted_rows_["ledger"];
            tally_.count(Outcome::inserted);
            return;
        }
        run(tx_, "touch_bill", params);  // seen before: the same bill, read again
        tally_.count(Outcome::unchanged);
    }

    void write(const AccountBalance& b) {
        tally_.before_row();
        run(tx_, "upsert_balance",
            {key_.account, b.balance.text(), text_or_null(b.currency),
             format_utc_iso(b.observed_at)});
    }

    void write_tombstone(const std::string& product_external_id) {
        tally_.before_row();
        std::optional<std::string> new_hash;
        const auto found = run(tx_, "product_status", {key_.account, product_external_id});
        if (!found.empty() && std::string_view(found[0][0].c_str()) != "deleted") {
            new_hash = store::tombstone_hash(found[0][1].c_str());
        }
        ++tally_.rows_written;
        if (!new_hash) return;  // unknown, or deleted already: nothing changes, no change row
        run(tx_, "mark_product_deleted", {key_.account, product_external_id, *new_hash});
        ++tally_.stats.deleted;
        record_change("product", product_external_id, "delete");
    }

    void write_seen(const std::string& product_external_id) {
        tally_.before_row();
        ++tally_.rows_written;
        if (run(tx_, "touch_seen_product", {key_.account, product_external_id, now_})
                .affected_rows() > 0) {
            ++tally_.stats.unchanged;
        }
    }

    void write(const DeadLetter& d) {
        tally_.before_row();
        // Letters without a key would all collapse into one row: key them by their payload.
        const std::string record_key =
            d.record_key.empty() ? "payload#" + content_hash(d.payload) : d.record_key;
        // Error text quotes platforms, which may echo what they were sent: masked as stored.
        run(tx_, "upsert_dead_letter",
            {key_.account, key_.stream, record_key, d.payload, log::redact(d.error), now_});
        ++tally_.rows_written;
        ++tally_.stats.dead_lettered;
    }

    void flush_changes() {
        for (const PendingChange& c : pending_changes_) {
            run(tx_, "insert_change",
                {key_.account, std::string(c.entity), c.external_id, std::string(c.op), run_,
                 now_});
        }
        pending_changes_.clear();
    }

    void write_cursor(const nlohmann::json& cursor) {
        tally_.before_row();
        run(tx_, "upsert_cursor", {key_.account, key_.stream, cursor.dump(), now_});
    }

  private:
    // One INSERT ... ON CONFLICT: a row back when it wrote (inserted or changed), none when the
    // stored content hash was equal; then only last_seen_at moves (`touch`).
    Outcome upsert(const char* statement, const char* table, const Params& params,
                   const char* touch, const Params& touch_params) {
        const auto written = run(tx_, statement, params);
        if (written.empty()) {
            run(tx_, touch, touch_params);
            return Outcome::unchanged;
        }
        if (written[0][0].as<bool>()) {
            ++inserted_rows_[table];
            return Outcome::inserted;
        }
        return Outcome::updated;
    }

    bool account_has_stock() {
        if (!account_has_stock_) {
            account_has_stock_ = !run(tx_, "account_has_stock", {key_.account}).empty();
        }
        return *account_has_stock_;
    }

    void after_record(const char* entity, const std::string& external_id, Outcome outcome) {
        tally_.count(outcome);
        if (outcome != Outcome::unchanged) record_change(entity, external_id, op_of(outcome));
        resolve_dead_letters_of(external_id);
    }

    void record_change(const char* entity, const std::string& external_id, const char* op) {
        pending_changes_.push_back({entity, external_id, op});
    }

    void resolve_dead_letters_of(const std::string& external_id) {
        if (unresolved_.empty()) return;
        auto it = unresolved_.find(external_id);
        if (it == unresolved_.end()) return;
        for (const std::int64_t id : it->second) {
            run(tx_, "resolve_dead_letter", {std::to_string(id), now_});
        }
        unresolved_.erase(it);
    }

    pqxx::transaction_base& tx_;
    const StreamKey& key_;
    Param run_;
    std::string now_;
    store::PageTally tally_;
    struct PendingChange {
        const char* entity;
        std::string external_id;
        const char* op;
    };
    std::vector<PendingChange> pending_changes_;
    std::map<std::string, std::int64_t> inserted_rows_;  // by record_counts.tbl
    std::optional<bool> account_has_stock_;
    std::unordered_map<std::string, std::vector<std::int64_t>> unresolved_;
};

Status require_product_entity(const std::string& entity) {
    if (entity == "product") return {};
    return Error::config("store reads for adapters know the entity 'product', not '" + entity +
                         "'");
}

}  // namespace

// --- open ---------------------------------------------------------------------------------------

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& dsn, Clock& clock,
                                                           OpenOptions options) {
    auto migrations = store::parse_migrations(store::embedded_postgres_migrations());
    if (!migrations.ok()) return std::move(migrations).error();
    if (dsn.empty()) {
        return Error::config("the PostgreSQL DSN is empty: set store.dsn or store.dsn_file");
    }
    auto impl = std::make_unique<Impl>(dsn, clock);
    impl->schema = options.schema;
    impl->daemon_lock = options.daemon_lock;
    impl->migrations = std::move(migrations.value());
    try {
        impl->connect();
        pqxx::nontransaction read(*impl->conn);
        int version = impl->recorded_version(read);
        read.commit();
        if (version > impl->latest_version()) {
            return Error::storage(
                "PostgreSQL database " + impl->shown_dsn + " has schema version " +
                std::to_string(version) + ", this commerce-syncd knows up to " +
                std::to_string(impl->latest_version()) + ": upgrade commerce-syncd");
        }
        if (version < impl->latest_version()) {
            if (!options.migrate) {
                return Error::storage("PostgreSQL database " + impl->shown_dsn +
                                      " has schema version " + std::to_string(version) +
                                      ", this commerce-syncd needs " +
                                      std::to_string(impl->latest_version()) +
                                      ": start commerce-syncd once to migrate it");
            }
            impl->migrate();
        }
    } catch (const std::exception& e) {
        return Error::storage("cannot open PostgreSQL database " + impl->shown_dsn + ": " +
                              redact_dsn(e.what()));
    }
    return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

const std::vector<std::string>& PostgresStore::postgres_only_tables() {
    static const std::vector<std::string> tables = {"account_leases", "replicas", "lease_events"};
    return tables;
}

int PostgresStore::latest_schema_version() {
    auto migrations = store::parse_migrations(store::embedded_postgres_migrations());
    return migrations.ok() && !migrations->empty() ? migrations->back().version : 0;
}

std::string PostgresStore::location() const { return "PostgreSQL database " + impl_->shown_dsn; }

Result<int> PostgresStore::schema_version() {
    return impl_->guarded("reading the schema version", [&]() -> Result<int> {
        pqxx::nontransaction tx(impl_->connection());
        return impl_->recorded_version(tx);
    });
}

Result<std::map<std::string, std::vector<std::string>>> PostgresStore::schema_columns() {
    using Out = Result<std::map<std::string, std::vector<std::string>>>;
    return impl_->guarded("reading the schema's columns", [&]() -> Out {
        pqxx::nontransaction tx(impl_->connection());
        std::map<std::string, std::vector<std::string>> out;
        for (const auto& row :
             tx.exec("SELECT table_name, column_name FROM information_schema.columns"
                     " WHERE table_schema = current_schema()"
                     " ORDER BY table_name, ordinal_position")) {
            out[row[0].c_str()].emplace_back(row[1].c_str());
        }
        return out;
    });
}

Status PostgresStore::set_lease_fence(const std::string& account, std::optional<LeaseFence> fence) {
    if (fence) {
        impl_->fences.insert_or_assign(account, std::move(*fence));
    } else {
        impl_->fences.erase(account);
    }
    return {};
}

// --- accounts -----------------------------------------------------------------------------------

Status PostgresStore::register_account(const std::string& account, const std::string& platform) {
    return impl_->guarded("registering account '" + account + "'", [&]() -> Status {
        pqxx::work tx(impl_->connection());
        tx.exec_params(
            "INSERT INTO accounts (name, platform, created_at, updated_at)"
            " VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO UPDATE SET"
            " platform = excluded.platform, updated_at = excluded.updated_at"
            " WHERE accounts.platform <> excluded.platform",
            account, platform, impl_->now_text());
        tx.commit();
        return {};
    });
}

Status PostgresStore::set_account_state(const std::string& account, const std::string& state,
                                        const std::string& reason) {
    if (state != "ok" && state != "parked") {
        return Error::config("account state '" + state + "' is not one of: ok, parked");
    }
    return impl_->guarded("setting the state of account '" + account + "'", [&]() -> Status {
        pqxx::work tx(impl_->connection());
        if (auto fenced = impl_->check_fence(tx, account); !fenced.ok()) return fenced;
        const auto r = tx.exec_params(
            "UPDATE accounts SET state = $2, state_reason = $3, updated_at = $4 WHERE name = $1",
            account, state, log::redact(reason), impl_->now_text());
        if (r.affected_rows() == 0) {
            return Error::storage("account '" + account +
                                  "' is not registered in PostgreSQL database " + impl_->shown_dsn +
                                  ": register_account must come first");
        }
        tx.commit();
        return {};
    });
}

// --- cursors and pages --------------------------------------------------------------------------

Result<std::optional<nlohmann::json>> PostgresStore::load_cursor(const StreamKey& key) {
    using Out = Result<std::optional<nlohmann::json>>;
    return impl_->guarded("loading the cursor of " + key.account + "/" + key.stream, [&]() -> Out {
        pqxx::nontransaction tx(impl_->connection());
        const auto r = run(tx, "load_cursor", {key.account, key.stream});
        if (r.empty()) return std::optional<nlohmann::json>{};
        auto parsed = nlohmann::json::parse(r[0][0].c_str(), nullptr, /*allow_exceptions=*/false);
        if (parsed.is_discarded()) {
            return Error::storage("the cursor of " + key.account + "/" + key.stream +
                                  " in PostgreSQL database " + impl_->shown_dsn +
                                  " is not valid JSON: reset it with `commerce-syncd "
                                  "reset-cursor " +
                                  key.account + " " + key.stream + "`");
        }
        return std::optional<nlohmann::json>{std::move(parsed)};
    });
}

Result<ApplyStats> PostgresStore::apply_page(const StreamKey& key, std::int64_t run_id,
                                             const PageRecords& records,
                                             const nlohmann::json& next_cursor) {
    // One-shot: consumed by this call whatever happens.
    const std::optional<int> fail_after = std::exchange(impl_->fail_after_rows, std::nullopt);
    const std::string what = "applying a page of " + key.account + "/" + key.stream + " (" +
                             std::to_string(records.size()) +
                             (records.size() == 1 ? " record)" : " records)");
    return impl_->guarded(what, [&]() -> Result<ApplyStats> {
        std::map<std::string, std::vector<const Image*>> image_sets;
        for (const std::string& product : records.replaced_image_sets) image_sets[product];
        for (const Image& i : records.images) image_sets[i.product_external_id].push_back(&i);
        store::ImageFolder* image_folder = nullptr;
        if (!image_sets.empty()) {
            auto folder = impl_->image_folder(records.image_folder);
            if (!folder.ok()) return std::move(folder).error();
            image_folder = *folder;
            if (auto space = store::check_image_space(*image_folder, records); !space.ok()) {
                return std::move(space).error();
            }
        }
        pqxx::work tx(impl_->connection());
        // An acknowledged page waits for the server's WAL flush whatever the server's default.
        if (records.durable) tx.exec("SET LOCAL synchronous_commit = on");
        if (auto fenced = impl_->check_fence(tx, key.account); !fenced.ok()) {
            return std::move(fenced).error();
        }
        if (auto known = impl_->require_account(tx, key.account); !known.ok()) {
            return std::move(known).error();
        }
        if (auto known = impl_->require_run(tx, run_id); !known.ok()) {
            return std::move(known).error();
        }
        PageWriter writer(tx, key, run_id, impl_->now_text(), fail_after);
        for (const Category& c : records.categories) writer.write(c);
        // Products before stock levels, so that a page carrying both links them at once.
        for (const Product& p : records.products) writer.write(p);
        for (const StockLevel& l : records.stock_levels) writer.write(l);
        for (const Order& o : records.orders) writer.write(o);
        std::vector<std::string> stale_image_files;
        if (image_folder) {
            std::vector<std::pair<std::string, std::string_view>> files;
            for (const Image& i : records.images) files.emplace_back(i.sha256, i.data);
            image_folder->put_all(files);
            for (const auto& [product, set] : image_sets) {
                writer.write_image_set(product, set, *image_folder, stale_image_files);
            }
        }
        for (const std::string& id : records.deleted_product_ids) writer.write_tombstone(id);
        for (const std::string& id : records.seen_product_ids) writer.write_seen(id);
        for (const Country& c : records.countries) writer.write(c);
        for (const LedgerEntry& e : records.ledger) writer.write(e);
        if (records.balance) writer.write(*records.balance);
        // Letters last: a record that both applied and failed in one page stays dead-lettered.
        for (const DeadLetter& d : records.dead_letters) writer.write(d);
        writer.flush_counts();
        writer.flush_changes();
        writer.write_cursor(next_cursor);
        tx.commit();
        if (!stale_image_files.empty()) {
            // Only now may the old set's files go, and only those no row names any more.
            pqxx::nontransaction read(impl_->connection());
            for (const std::string& file : stale_image_files) {
                if (!impl_->image_file_named(read, file)) image_folder->remove(file);
            }
        }
        return writer.stats();
    });
}

Status PostgresStore::reset_cursor(const StreamKey& key) {
    return impl_->guarded(
        "resetting the cursor of " + key.account + "/" + key.stream, [&]() -> Status {
            pqxx::work tx(impl_->connection());
            if (auto fenced = impl_->check_fence(tx, key.account); !fenced.ok()) return fenced;
            tx.exec_params("DELETE FROM sync_state WHERE account = $1 AND stream = $2", key.account,
                           key.stream);
            tx.commit();
            return {};
        });
}

// --- account state and reads for adapters ------------------------------------------------------

Result<AccountState> PostgresStore::load_account_state(const std::string& account) {
    return impl_->guarded(
        "reading the state of account '" + account + "'", [&]() -> Result<AccountState> {
            pqxx::nontransaction tx(impl_->connection());
            AccountState out;
            for (const auto& row : tx.exec_params(
                     "SELECT name, value FROM account_state WHERE account = $1", account)) {
                out.emplace(row[0].c_str(), row[1].c_str());
            }
            return out;
        });
}

Status PostgresStore::save_account_state(const std::string& account, const AccountState& values) {
    return impl_->guarded("saving the state of account '" + account + "'", [&]() -> Status {
        pqxx::work tx(impl_->connection());
        // A rotated refresh token is the only copy once the platform has answered: this commit
        // waits for the server's WAL flush whatever the server's default.
        tx.exec("SET LOCAL synchronous_commit = on");
        if (auto fenced = impl_->check_fence(tx, account); !fenced.ok()) return fenced;
        if (auto known = impl_->require_account(tx, account); !known.ok()) return known;
        const std::string now = impl_->now_text();
        for (const auto& [name, value] : values) {
            tx.exec_params(
                "INSERT INTO account_state (account, name, value, updated_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (account, name) DO UPDATE SET"
                " value = excluded.value, updated_at = excluded.updated_at",
                account, name, value, now);
        }
        tx.commit();
        return {};
    });
}

Result<KnownVersions> PostgresStore::known_versions(const std::string& account,
                                                    const std::string& entity,
                                                    const std::string& scope,
                                                    const std::vector<std::string>& ids) {
    if (auto st = require_product_entity(entity); !st.ok()) return std::move(st).error();
    return impl_->guarded("reading stored versions of " + std::to_string(ids.size()) +
                              " products of account '" + account + "'",
                          [&]() -> Result<KnownVersions> {
                              // One snapshot for every id.
                              pqxx::read_transaction tx(impl_->connection());
                              KnownVersions out;
                              for (const std::string& id : ids) {
                                  const auto r = run(tx, "known_version", {account, id, scope});
                                  if (r.empty()) continue;
                                  KnownVersion v;
                                  v.content_hash = r[0][0].c_str();
                                  v.source_modified_at = time_field(r[0][1]);
                                  v.last_seen_at = time_field(r[0][2]);
                                  v.deleted = std::string_view(r[0][3].c_str()) == "deleted";
                                  out.insert_or_assign(id, std::move(v));
                              }
                              return out;
                          });
}

Result<std::vector<std::string>> PostgresStore::unseen_since(const std::string& account,
                                                             const std::string& entity,
                                                             const std::string& scope,
                                                             UtcTime pass_start,
                                                             std::size_t limit) {
    if (auto st = require_product_entity(entity); !st.ok()) return std::move(st).error();
    return impl_->guarded(
        "listing products of account '" + account + "' unseen since " + format_utc_iso(pass_start),
        [&]() -> Result<std::vector<std::string>> {
            pqxx::nontransaction tx(impl_->connection());
            std::vector<std::string> out;
            for (const auto& row :
                 run(tx, scope.empty() ? "unseen_unscoped" : "unseen_scoped",
                     {account, scope, format_utc_iso(pass_start), std::to_string(limit)})) {
                out.emplace_back(row[0].c_str());
            }
            return out;
        });
}

Result<ImageSpace> PostgresStore::image_space(const std::string& folder,
                                              const ImageCandidates& candidates) {
    return impl_->guarded("measuring the image folder", [&]() -> Result<ImageSpace> {
        auto images = impl_->image_folder(folder);
        if (!images.ok()) return std::move(images).error();
        ImageSpace space;
        std::set<std::string> counted;
        for (const auto& [sha256, bytes] : candidates) {
            if (counted.insert(sha256).second && !(*images)->contains(sha256)) {
                space.incoming_bytes += bytes;
            }
        }
        space.used_bytes = (*images)->bytes_used();
        space.free_bytes = (*images)->bytes_free();
        return space;
    });
}

// --- runs ---------------------------------------------------------------------------------------

Result<std::int64_t> PostgresStore::begin_run(const StreamKey& key, UtcTime started_at) {
    return impl_->guarded(
        "recording the start of a run of " + key.account + "/" + key.stream,
        [&]() -> Result<std::int64_t> {
            pqxx::work tx(impl_->connection());
            if (auto fenced = impl_->check_fence(tx, key.account); !fenced.ok()) {
                return std::move(fenced).error();
            }
            if (auto known = impl_->require_account(tx, key.account); !known.ok()) {
                return std::move(known).error();
            }
            const auto r = tx.exec_params(
                "INSERT INTO sync_runs (account, stream, started_at) VALUES ($1, $2, $3)"
                " RETURNING id",
                key.account, key.stream, format_utc_iso(started_at));
            tx.commit();
            return r[0][0].as<std::int64_t>();
        });
}

Status PostgresStore::finish_run(std::int64_t run_id, const RunSummary& summary) {
    return impl_->guarded("recording the end of run " + std::to_string(run_id), [&]() -> Status {
        pqxx::work tx(impl_->connection());
        const auto owner = run(tx, "run_account", {std::to_string(run_id)});
        if (owner.empty()) {
            return Error::storage("no run with id " + std::to_string(run_id) +
                                  " in PostgreSQL database " + impl_->shown_dsn +
                                  " (finish_run without begin_run)");
        }
        if (auto fenced = impl_->check_fence(tx, owner[0][0].c_str()); !fenced.ok()) {
            return fenced;
        }
        // A summary without an end time ends now.
        const UtcTime finished = summary.finished_at.time_since_epoch().count() != 0
                                     ? summary.finished_at
                                     : to_utc_seconds(impl_->clock.now());
        tx.exec_params(
            "UPDATE sync_runs SET finished_at = $2, pages = $3, requests = $4, inserted = $5,"
            " updated = $6, unchanged = $7, deleted = $8, dead_lettered = $9, error = $10"
            " WHERE id = $1",
            run_id, format_utc_iso(finished), summary.pages, summary.requests,
            summary.stats.inserted, summary.stats.updated, summary.stats.unchanged,
            summary.stats.deleted, summary.stats.dead_lettered,
            summary.error ? log::redact(*summary.error).c_str() : nullptr);
        tx.commit();
        return {};
    });
}

// --- status -------------------------------------------------------------------------------------

Result<std::vector<StreamStatus>> PostgresStore::status() {
    using Out = Result<std::vector<StreamStatus>>;
    return impl_->guarded("reading the status", [&]() -> Out {
        // One snapshot: every figure comes from the same moment.
        pqxx::read_transaction tx(impl_->connection());
        const auto streams = tx.exec(
            "WITH keys AS (SELECT account, stream FROM sync_state"
            "              UNION SELECT account, stream FROM stream_run_summary)"
            " SELECT k.account, k.stream, a.platform, a.state, a.state_reason, s.cursor, " +
            iso("s.updated_at") + ", (SELECT " + iso("started_at") +
            " FROM sync_runs WHERE id = m.last_run_id),"
            " (SELECT " +
            iso("finished_at") +
            " FROM sync_runs WHERE id = m.last_success_run_id),"
            " (SELECT count(*) FROM dead_letters d WHERE d.account = k.account"
            "   AND d.stream = k.stream AND d.resolved_at IS NULL),"
            " e.error, " +
            iso("e.finished_at") +
            ", (SELECT records FROM record_counts r WHERE r.account = k.account"
            "   AND r.tbl = CASE k.stream WHEN 'stock' THEN 'stock_levels'"
            "   WHEN 'items' THEN 'products' WHEN 'account' THEN 'ledger' ELSE k.stream END),"
            " b.balance::text, b.currency, " +
            iso("b.observed_at") +
            " FROM keys k"
            " LEFT JOIN stream_run_summary m ON m.account = k.account AND m.stream = k.stream"
            " LEFT JOIN sync_runs e ON e.id = m.last_error_run_id"
            " LEFT JOIN accounts a ON a.name = k.account"
            " LEFT JOIN sync_state s ON s.account = k.account AND s.stream = k.stream"
            " LEFT JOIN account_balances b ON b.account = k.account"
            " ORDER BY k.account, k.stream");
        std::vector<StreamStatus> out;
        for (const auto& row : streams) {
            StreamStatus s;
            s.account = row[0].c_str();
            s.stream = row[1].c_str();
            s.platform = text_field(row[2]).value_or("");
            s.account_state = text_field(row[3]).value_or("ok");
            s.account_state_reason = text_field(row[4]).value_or("");
            if (auto cursor = text_field(row[5])) {
                s.cursor = nlohmann::json::parse(*cursor, nullptr, /*allow_exceptions=*/false);
                if (s.cursor.is_discarded()) s.cursor = *cursor;  // load_cursor reports it
            }
            s.cursor_updated_at = time_field(row[6]);
            s.last_run_started_at = time_field(row[7]);
            s.last_success_at = time_field(row[8]);
            s.dead_letters = row[9].as<std::int64_t>();
            s.last_error = text_field(row[10]);
            s.last_error_at = time_field(row[11]);
            if (stream_tables().contains(s.stream) && !row[12].is_null()) {
                s.records = row[12].as<std::int64_t>();
            }
            if (auto balance = text_field(row[13])) {
                auto amount = Decimal::parse(*balance);
                auto observed = time_field(row[15]);
                if (amount && observed) {
                    s.account_balance =
                        AccountBalance{*amount, text_field(row[14]).value_or(""), *observed};
                }
            }
            out.push_back(std::move(s));
        }
        return out;
    });
}

// --- retention and operations -------------------------------------------------------------------

Result<PostgresStore::PruneCount> PostgresStore::prune_batch(UtcTime runs_before,
                                                             UtcTime changes_before,
                                                             std::int64_t batch) {
    return impl_->guarded("pruning history", [&]() -> Result<PruneCount> {
        pqxx::work tx(impl_->connection());
        // As on SQLite: only the oldest `batch` rows are looked at; table and column names are
        // literals from this function, never input.
        auto prune_oldest = [&](const std::string& table, const std::string& time_column,
                                UtcTime before, const std::string& keep) {
            return static_cast<std::int64_t>(
                tx.exec_params("DELETE FROM " + table +
                                   " WHERE id IN (SELECT id FROM (SELECT id, " + time_column +
                                   " FROM " + table + " ORDER BY id LIMIT $2) oldest WHERE " +
                                   time_column + " < $1 AND " + keep + ")",
                               format_utc_iso(before), batch)
                    .affected_rows());
        };
        PruneCount n;
        n.runs = prune_oldest("sync_runs", "started_at", runs_before, kRunsKeptByRetention);
        n.changes = prune_oldest("changes", "changed_at", changes_before, kChangesKeptByRetention);
        tx.commit();
        return n;
    });
}

Status PostgresStore::set_account_links(
    const std::vector<std::pair<std::string, std::string>>& links) {
    return impl_->guarded("recording the account links", [&]() -> Status {
        pqxx::work tx(impl_->connection());
        tx.exec("DELETE FROM account_links");
        const std::string now = impl_->now_text();
        for (const auto& [account, stock_from] : links) {
            tx.exec_params(
                "INSERT INTO account_links (account, stock_from, updated_at) VALUES ($1, $2, $3)",
                account, stock_from, now);
        }
        tx.commit();
        return {};
    });
}

Status PostgresStore::save_account_metrics(const std::string& account, const AccountMetrics& m) {
    nlohmann::json responses = nlohmann::json::object();
    for (const auto& [code, n] : m.responses) responses[std::to_string(code)] = n;
    return impl_->guarded("saving the HTTP figures of account '" + account + "'", [&]() -> Status {
        pqxx::work tx(impl_->connection());
        tx.exec_params(
            "INSERT INTO account_metrics (account, responses_json, transport_errors,"
            " rate_limit_wait_us, updated_at) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (account) DO UPDATE SET"
            " responses_json = excluded.responses_json,"
            " transport_errors = excluded.transport_errors,"
            " rate_limit_wait_us = excluded.rate_limit_wait_us,"
            " updated_at = excluded.updated_at",
            account, responses.dump(), m.transport_errors, m.rate_limit_wait_us, impl_->now_text());
        tx.commit();
        return {};
    });
}

Result<std::map<std::string, AccountMetrics>> PostgresStore::account_metrics() {
    using Out = Result<std::map<std::string, AccountMetrics>>;
    return impl_->guarded("reading the accounts' HTTP figures", [&]() -> Out {
        pqxx::nontransaction tx(impl_->connection());
        std::map<std::string, AccountMetrics> out;
        for (const auto& row : tx.exec("SELECT account, responses_json, transport_errors,"
                                       " rate_limit_wait_us FROM account_metrics"
                                       " ORDER BY account")) {
            AccountMetrics& m = out[row[0].c_str()];
            auto responses = nlohmann::json::parse(row[1].c_str(), nullptr, false);
            if (responses.is_object()) {
                for (const auto& [code, n] : responses.items()) {
                    if (n.is_number_integer()) m.responses[std::stoi(code)] = n.get<std::int64_t>();
                }
            }
            m.transport_errors = row[2].as<std::int64_t>();
            m.rate_limit_wait_us = row[3].as<std::int64_t>();
        }
        return out;
    });
}

// --- dead letters (CLI) ------------------------------------------------------------------------

namespace {

std::string dead_letter_columns() {
    return "SELECT id, account, stream, record_key, payload, error, attempts, " +
           iso("first_seen_at") + ", " + iso("last_seen_at") + ", " + iso("resolved_at") +
           " FROM dead_letters";
}

DeadLetterRow dead_letter_row(const pqxx::row& r) {
    DeadLetterRow d;
    d.id = r[0].as<std::int64_t>();
    d.account = r[1].c_str();
    d.stream = r[2].c_str();
    d.record_key = r[3].c_str();
    d.payload = std::string(r[4].c_str(), r[4].size());
    d.error = r[5].c_str();
    d.attempts = r[6].as<std::int64_t>();
    d.first_seen_at = r[7].c_str();
    d.last_seen_at = r[8].c_str();
    d.resolved_at = text_field(r[9]);
    return d;
}

}  // namespace

Result<std::vector<DeadLetterRow>> PostgresStore::dead_letters(const DeadLetterFilter& filter) {
    using Out = Result<std::vector<DeadLetterRow>>;
    return impl_->guarded("reading dead letters", [&]() -> Out {
        pqxx::nontransaction tx(impl_->connection());
        std::vector<const char*> values = {filter.account ? filter.account->c_str() : nullptr,
                                           filter.stream ? filter.stream->c_str() : nullptr,
                                           filter.include_resolved ? "true" : "false"};
        const auto rows = tx.exec_params(
            dead_letter_columns() +
                " WHERE ($1::text IS NULL OR account = $1) AND ($2::text IS NULL OR stream = $2)"
                " AND ($3::boolean OR resolved_at IS NULL) ORDER BY id",
            pqxx::prepare::make_dynamic_params(values));
        std::vector<DeadLetterRow> out;
        out.reserve(rows.size());
        for (const auto& r : rows) out.push_back(dead_letter_row(r));
        return out;
    });
}

Status PostgresStore::dismiss_dead_letters(const std::vector<std::int64_t>& ids) {
    const std::string now = impl_->now_text();
    return impl_->guarded("dismissing dead letters", [&]() -> Status {
        pqxx::work tx(impl_->connection());
        for (const std::int64_t id : ids) {
            const auto r = tx.exec_params(
                "UPDATE dead_letters SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL"
                " RETURNING account",
                id, now);
            if (r.size() != 1) {
                return Error::config("dead letter " + std::to_string(id) +
                                     " is unknown or already resolved; nothing was dismissed");
            }
            if (auto fenced = impl_->check_fence(tx, r[0][0].c_str()); !fenced.ok()) return fenced;
        }
        tx.commit();
        return {};
    });
}

Result<std::optional<DeadLetterRow>> PostgresStore::dead_letter(std::int64_t id) {
    using Out = Result<std::optional<DeadLetterRow>>;
    return impl_->guarded("reading dead letter " + std::to_string(id), [&]() -> Out {
        pqxx::nontransaction tx(impl_->connection());
        const auto r = tx.exec_params(dead_letter_columns() + " WHERE id = $1", id);
        if (r.empty()) return std::optional<DeadLetterRow>();
        return std::optional<DeadLetterRow>(dead_letter_row(r[0]));
    });
}

Result<ApplyStats> PostgresStore::apply_dead_letter_retry(std::int64_t id,
                                                          const std::string& payload,
                                                          const PageRecords& records) {
    const std::string letter = "dead letter " + std::to_string(id);
    if (!records.images.empty() || !records.replaced_image_sets.empty() ||
        !records.dead_letters.empty()) {
        return Error::config(letter +
                             ": a retry stores mapped records only, not images or letters");
    }
    const std::optional<int> fail_after = std::exchange(impl_->fail_after_rows, std::nullopt);
    return impl_->guarded("retrying " + letter, [&]() -> Result<ApplyStats> {
        pqxx::work tx(impl_->connection());
        // Read again, locked: the daemon may have met the record meanwhile.
        const auto found = tx.exec_params(
            "SELECT account, stream, payload, resolved_at IS NOT NULL FROM dead_letters"
            " WHERE id = $1 FOR UPDATE",
            id);
        if (found.empty()) return Error::config(letter + " is unknown");
        if (found[0][3].as<bool>()) return Error::config(letter + " is already resolved");
        if (std::string_view(found[0][2].c_str(), found[0][2].size()) != payload) {
            return Error::config(letter +
                                 " changed while it was retried (its stream met the record "
                                 "again): retry it again");
        }
        const StreamKey key{found[0][0].c_str(), found[0][1].c_str()};
        if (auto fenced = impl_->check_fence(tx, key.account); !fenced.ok()) {
            return std::move(fenced).error();
        }
        PageWriter writer(tx, key, /*run_id=*/0, impl_->now_text(), fail_after);
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
        run(tx, "resolve_dead_letter", {std::to_string(id), impl_->now_text()});
        tx.commit();
        return writer.stats();
    });
}

Status PostgresStore::record_dead_letter_retry_failure(std::int64_t id, const std::string& error) {
    const std::string letter = "dead letter " + std::to_string(id);
    return impl_->guarded("recording the retry of " + letter, [&]() -> Status {
        pqxx::work tx(impl_->connection());
        const auto r = tx.exec_params(
            "UPDATE dead_letters SET error = $2, attempts = attempts + 1, last_seen_at = $3"
            " WHERE id = $1 AND resolved_at IS NULL RETURNING account",
            id, log::redact(error), impl_->now_text());
        if (r.size() != 1) return Error::config(letter + " is unknown or already resolved");
        if (auto fenced = impl_->check_fence(tx, r[0][0].c_str()); !fenced.ok()) return fenced;
        tx.commit();
        return {};
    });
}

// --- export -------------------------------------------------------------------------------------

namespace {

constexpr const char* kTimestamptz = "timestamp with time zone";

bool is_integer_type(pqxx::oid type) {
    constexpr pqxx::oid kInt8 = 20, kInt2 = 21, kInt4 = 23;
    return type == kInt8 || type == kInt2 || type == kInt4;
}

// The order SQLite gives the same rows: text compared byte by byte ("C"), money and times by
// their text (SQLite holds both as TEXT), NULL first.
std::string sqlite_order_term(const std::string& column, const std::string& type) {
    std::string term = column;
    if (type == kTimestamptz) {
        term = iso(column) + " COLLATE \"C\"";
    } else if (type == "numeric") {
        term = column + "::text COLLATE \"C\"";
    } else if (type == "text") {
        term = column + " COLLATE \"C\"";
    }
    return term + " NULLS FIRST";
}

}  // namespace

Status PostgresStore::export_table(const std::string& table, std::ostream& out,
                                   ExportFormat format) {
    auto order = store::export_order(table);
    if (!order.ok()) return std::move(order).error();
    return impl_->guarded("exporting table " + table, [&]() -> Status {
        pqxx::work tx(impl_->connection());
        tx.exec("SET TRANSACTION READ ONLY");
        // `table` is one of the fixed list (export_order), never arbitrary input.
        std::map<std::string, std::string> types;
        std::string columns;
        for (const auto& row :
             tx.exec_params("SELECT column_name, data_type FROM information_schema.columns"
                            " WHERE table_schema = current_schema() AND table_name = $1"
                            " ORDER BY ordinal_position",
                            table)) {
            const std::string name = row[0].c_str();
            const std::string type = row[1].c_str();
            types[name] = type;
            std::string expr = tx.quote_name(name);
            // As on SQLite: a product read again unchanged has its last_seen_at in product_seen.
            if (table == "products") {
                expr = (name == "last_seen_at" ? "products_last_seen." : "products.") + expr;
            }
            if (type == kTimestamptz) expr = iso(expr);
            columns += (columns.empty() ? "" : ", ") + expr + " AS " + tx.quote_name(name);
        }
        if (columns.empty()) {
            return Error::storage("table " + table + " is missing from PostgreSQL database " +
                                  impl_->shown_dsn + ": the schema is not this binary's");
        }
        std::string order_by;
        for (std::size_t start = 0; start < order->size();) {
            std::size_t end = order->find(", ", start);
            if (end == std::string::npos) end = order->size();
            const std::string column = order->substr(start, end - start);
            order_by += (order_by.empty() ? "" : ", ") + sqlite_order_term(column, types[column]);
            start = end + 2;
        }
        const std::string from =
            table == "products" ? "products JOIN products_last_seen USING (account, external_id)"
                                : table;
        // A cursor, so that a large table is written as it is read, not held in memory.
        tx.exec("DECLARE export_rows NO SCROLL CURSOR FOR SELECT " + columns + " FROM " + from +
                " ORDER BY " + order_by);
        bool header_written = false;
        std::vector<std::string> names;
        std::vector<bool> integers;
        for (;;) {
            const auto rows = tx.exec("FETCH 1000 FROM export_rows");
            if (!header_written) {
                for (pqxx::row::size_type i = 0; i < rows.columns(); ++i) {
                    names.emplace_back(rows.column_name(i));
                    integers.push_back(is_integer_type(rows.column_type(i)));
                }
                if (format == ExportFormat::csv) store::write_csv_row(out, names);
                header_written = true;
            }
            if (rows.empty()) break;
            for (const auto& row : rows) {
                if (format == ExportFormat::csv) {
                    std::vector<std::string> fields;
                    fields.reserve(names.size());
                    for (const auto& f : row) {
                        fields.emplace_back(f.is_null() ? std::string()
                                                        : std::string(f.c_str(), f.size()));
                    }
                    store::write_csv_row(out, fields);
                } else {
                    nlohmann::json object = nlohmann::json::object();
                    for (std::size_t i = 0; i < names.size(); ++i) {
                        const pqxx::field f = row[static_cast<pqxx::row::size_type>(i)];
                        nlohmann::json& value = object[names[i]];
                        if (f.is_null()) {
                            value = nullptr;
                        } else if (integers[i]) {
                            value = f.as<std::int64_t>();
                        } else {
                            value = std::string(f.c_str(), f.size());
                        }
                    }
                    // Invalid UTF-8 from a platform is replaced rather than failing the export.
                    out << object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                        << '\n';
                }
                if (!out) {
                    return Error::storage("writing the export of table " + table +
                                          " failed: the output stream refused the data");
                }
            }
        }
        out.flush();
        return {};
    });
}

// --- migrate-store ------------------------------------------------------------------------------

Result<std::map<std::string, std::int64_t>> PostgresStore::copy_from_sqlite(
    const std::string& sqlite_path) {
    using Out = Result<std::map<std::string, std::int64_t>>;
    auto columns = schema_columns();
    if (!columns.ok()) return std::move(columns).error();
    return impl_->guarded("copying " + sqlite_path + " into the store", [&]() -> Out {
        SQLite::Database lite(sqlite_path, SQLite::OPEN_READONLY);
        const int lite_version = store::recorded_schema_version(lite);
        auto lite_migrations = store::parse_migrations(store::embedded_migrations());
        if (!lite_migrations.ok()) return std::move(lite_migrations).error();
        if (lite_version != lite_migrations->back().version) {
            return Error::config("database " + sqlite_path + " has schema version " +
                                 std::to_string(lite_version) + ", this commerce-syncd copies " +
                                 std::to_string(lite_migrations->back().version) +
                                 ": run `commerce-syncd migrate` on it first");
        }
        // One read transaction on SQLite: the copy is one consistent snapshot.
        SQLite::Transaction snapshot(lite, SQLite::TransactionBehavior::DEFERRED);
        pqxx::work tx(impl_->connection());
        if (!tx.exec(std::string("SELECT pg_try_advisory_xact_lock(") + kStoreLockKey + ")")[0][0]
                 .as<bool>()) {
            return Error::config("a commerce-syncd daemon is running on " + location() +
                                 " (it holds the store's advisory lock): stop it first");
        }
        for (const char* table : {"accounts", "sync_state", "sync_runs", "changes"}) {
            if (!tx.exec(std::string("SELECT 1 FROM ") + table + " LIMIT 1").empty()) {
                return Error::config(location() + " already holds data (table " + table +
                                     "): migrate-store copies into an empty store only");
            }
        }
        // Parents before children (foreign keys); views and the PostgreSQL-only tables are not
        // copied, schema_version is this database's own.
        std::vector<std::string> order = {"accounts", "sync_runs", "orders"};
        for (const auto& [table, cols] : *columns) {
            if (std::find(order.begin(), order.end(), table) == order.end()) order.push_back(table);
        }
        std::map<std::string, std::int64_t> copied;
        for (const std::string& table : order) {
            const auto& only = postgres_only_tables();
            if (table == "schema_version" || table == "catalogue" ||
                table == "products_last_seen" ||
                std::find(only.begin(), only.end(), table) != only.end()) {
                continue;
            }
            const std::vector<std::string>& cols = columns->at(table);
            std::string names, params;
            for (std::size_t i = 0; i < cols.size(); ++i) {
                names += (i ? ", " : "") + cols[i];
                params += (i ? ", $" : "$") + std::to_string(i + 1);
            }
            std::string insert =
                "INSERT INTO " + table + " (" + names + ") VALUES (" + params + ")";
            // Writing sync_runs has already filled stream_run_summary (its trigger).
            if (table == "stream_run_summary") {
                insert +=
                    " ON CONFLICT (account, stream) DO UPDATE SET"
                    " last_run_id = excluded.last_run_id,"
                    " last_success_run_id = excluded.last_success_run_id,"
                    " last_error_run_id = excluded.last_error_run_id";
            }
            impl_->conn->prepare("copy_" + table, insert);
            SQLite::Statement rows(lite, "SELECT " + names + " FROM " + table);
            std::int64_t n = 0;
            Params values(cols.size());
            while (rows.executeStep()) {
                for (int i = 0; i < static_cast<int>(cols.size()); ++i) {
                    const SQLite::Column c = rows.getColumn(i);
                    values[static_cast<std::size_t>(i)] =
                        c.isNull() ? Param{} : Param{c.getString()};
                }
                run(tx, "copy_" + table, values);
                ++n;
            }
            impl_->conn->unprepare("copy_" + table);
            copied[table] = n;
        }
        // Ids were copied as they were: new rows continue after them.
        for (const char* table : {"sync_runs", "changes", "dead_letters"}) {
            tx.exec(std::string("SELECT setval(pg_get_serial_sequence('") + table +
                    "', 'id'), coalesce(max(id), 0) + 1, false) FROM " + table);
        }
        tx.commit();
        return copied;
    });
}

// --- tests --------------------------------------------------------------------------------------

void PostgresStore::fail_next_apply_after_rows_for_test(int rows) { impl_->fail_after_rows = rows; }

Status PostgresStore::drop_schema_for_test() {
    if (impl_->schema.empty()) {
        return Error::config("drop_schema_for_test needs a store opened with a schema");
    }
    return impl_->guarded("dropping schema " + impl_->schema, [&]() -> Status {
        pqxx::nontransaction tx(impl_->connection());
        tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(impl_->schema) + " CASCADE");
        return {};
    });
}

}  // namespace csync
