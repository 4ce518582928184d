// The page writer's statements: generated from one descriptor per entity table, or written out
// for the few statements particular to one kind of record.

#include "store/sqlite/page_writer.hpp"

#include <stdexcept>

namespace csync::store::sqlite {
namespace {

using Field = EntityTable::Field;

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

std::string param(int index) { return "?" + std::to_string(index); }

// "account = ?1 AND <key 1> = ?2 AND ..."
std::string key_condition(const EntityTable& t) {
    std::string sql = "account = ?1";
    for (int i = 0; i < t.key_params(); ++i) {
        sql += std::string(" AND ") + t.key[static_cast<std::size_t>(i)] + " = " + param(2 + i);
    }
    return sql;
}

// Each field's column and the SQL of its value, in parameter order.
std::vector<std::pair<std::string, std::string>> field_values(const EntityTable& t) {
    std::vector<std::pair<std::string, std::string>> out;
    int next = 2 + t.key_params();
    for (const Field& f : t.fields) {
        out.emplace_back(f.column, f.value ? std::string(f.value) : param(next++));
    }
    return out;
}

std::string select_hash_sql(const EntityTable& t) {
    return std::string("SELECT content_hash FROM ") + t.table + " WHERE " + key_condition(t);
}

std::string insert_sql(const EntityTable& t) {
    std::string columns = "account";
    std::string values = "?1";
    for (int i = 0; i < t.key_params(); ++i) {
        columns += std::string(", ") + t.key[static_cast<std::size_t>(i)];
        values += ", " + param(2 + i);
    }
    for (const auto& [column, value] : field_values(t)) {
        columns += ", " + column;
        values += ", " + value;
    }
    const std::string now = param(t.now_param());
    return std::string("INSERT INTO ") + t.table + " (" + columns +
           ", first_seen_at, last_seen_at) VALUES (" + values + ", " + now + ", " + now + ")";
}

std::string update_sql(const EntityTable& t) {
    std::string sets;
    for (const auto& [column, value] : field_values(t)) sets += column + " = " + value + ", ";
    return std::string("UPDATE ") + t.table + " SET " + sets +
           "last_seen_at = " + param(t.now_param()) + " WHERE " + key_condition(t);
}

std::string touch_sql(const EntityTable& t) {
    return std::string("UPDATE ") + t.table + " SET last_seen_at = " + param(t.now_param()) +
           " WHERE " + key_condition(t);
}

}  // namespace

int EntityTable::now_param() const {
    int params = 1 + key_params();
    for (const Field& f : fields) {
        if (!f.value) ++params;
    }
    return params + 1;
}

const std::vector<EntityTable>& entity_tables() {
    static const std::vector<EntityTable> tables = {
        {"products",
         {"products", "items"},
         {"external_id"},
         {{"parent_external_id"},
          {"sku"},
          {"barcode"},
          {"title"},
          {"brand"},
          {"category_external_id"},
          {"price"},
          {"currency"},
          {"stock"},
          {"status"},
          {"source_modified_at"},
          {"raw_json"},
          {"content_hash"},
          {"platform_status"},
          {"scope"}}},
        {"categories",
         {"categories"},
         {"external_id"},
         {{"parent_external_id"},
          {"code"},
          {"name"},
          {"status"},
          {"source_modified_at"},
          {"raw_json"},
          {"content_hash"}}},
        // warehouse '' means all warehouses. product_external_id: the product of the same
        // account with this sku (lowest external_id when several share it), NULL when none.
        {"stock_levels",
         {"stock"},
         {"external_id", "warehouse"},
         {{"sku"},
          {"quantity"},
          {"change_count"},
          {"product_external_id",
           "(SELECT p.external_id FROM products p WHERE p.account = ?1 AND p.sku = ?4"
           " ORDER BY p.external_id LIMIT 1)"},
          {"source_modified_at"},
          {"raw_json"},
          {"content_hash"}}},
        {"orders",
         {"orders"},
         {"external_id"},
         {{"status"},
          {"platform_status"},
          {"currency"},
          {"total_amount"},
          {"created_at"},
          {"source_modified_at"},
          {"raw_json"},
          {"content_hash"},
          {"subtotal_amount"},
          {"shipping_cost"},
          {"pack_status"},
          {"shipping_way"},
          {"tracking_number"},
          {"paid_at"},
          {"shipped_at"},
          {"site_number"},
          {"delivery_address"}}},
        // Images have no key of their own: the feed names their product.
        {"images",
         {"images"},
         {"product_external_id", "position"},
         {{"file_path"}, {"sha256"}, {"byte_size"}, {"source_modified_at"}, {"content_hash"}}},
        {"countries",
         {"countries"},
         {"external_id"},
         {{"code"}, {"name"}, {"ship_to_state"}, {"states"}, {"raw_json"}, {"content_hash"}}},
        // A bill is its content (no hash): the writer inserts it or touches it.
        {"ledger", {"account"}, {}, {}, /*by_hash=*/false},
    };
    return tables;
}

const EntityTable& entity_table(std::string_view table) {
    for (const EntityTable& t : entity_tables()) {
        if (t.table == table) return t;
    }
    throw std::logic_error("no entity table named " + std::string(table));
}

const EntityTable* counted_table_of_stream(std::string_view stream) {
    for (const EntityTable& t : entity_tables()) {
        for (const char* s : t.streams) {
            if (s == stream) return &t;
        }
    }
    return nullptr;
}

RecordStatements::RecordStatements(SQLite::Database& db, const EntityTable& table)
    : entity(table),
      select_hash(db, select_hash_sql(table)),
      insert(db, insert_sql(table)),
      update(db, update_sql(table)),
      touch(db, touch_sql(table)),
      now_param(table.now_param()) {}

PageStatements::PageStatements(SQLite::Database& db)
    : account_exists(db, "SELECT 1 FROM accounts WHERE name = ?1"),
      run_exists(db, "SELECT 1 FROM sync_runs WHERE id = ?1"),
      products(db, entity_table("products")),
      categories(db, entity_table("categories")),
      stock_levels(db, entity_table("stock_levels")),
      orders(db, entity_table("orders")),
      images(db, entity_table("images")),
      image_rows_of(db,
                    "SELECT position, file_path FROM images"
                    " WHERE account = ?1 AND product_external_id = ?2"),
      delete_image_row(db,
                       "DELETE FROM images"
                       " WHERE account = ?1 AND product_external_id = ?2 AND position = ?3"),
      image_file_named(db, "SELECT 1 FROM images WHERE file_path = ?1 LIMIT 1"),
      countries(db, entity_table("countries")),
      // A bill is its content: seen again, it only gets last_seen_at.
      insert_bill(db,
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
                  " VALUES (?1, ?2, ?" +
                      std::to_string(entity_table("products").now_param()) +
                      ") ON CONFLICT (account, external_id)"
                      " DO UPDATE SET last_seen_at = excluded.last_seen_at"),
      // Stock lines follow their product when it appears or changes its sku.
      account_has_stock(db, "SELECT 1 FROM stock_levels WHERE account = ?1 LIMIT 1"),
      relink_stock(db,
                   "UPDATE stock_levels SET product_external_id = (SELECT p.external_id"
                   " FROM products p WHERE p.account = stock_levels.account"
                   " AND p.sku = stock_levels.sku ORDER BY p.external_id LIMIT 1)"
                   " WHERE account = ?1 AND (sku = ?2 OR product_external_id = ?3)"),
      delete_order_lines(db,
                         "DELETE FROM order_lines WHERE account = ?1 AND order_external_id = ?2"),
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
      upsert_dead_letter(db,
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

}  // namespace csync::store::sqlite
