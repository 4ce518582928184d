// SqliteStore::export_table: a documented table as NDJSON or CSV.

#include <ostream>
#include <string>
#include <vector>

#include <SQLiteCpp/Statement.h>

#include "store/sqlite/store_impl.hpp"
#include "store/sqlite/support.hpp"
#include "store/table_export.hpp"

namespace csync {

using namespace store::sqlite;

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

}  // namespace csync
