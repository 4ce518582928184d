#include "store/table_export.hpp"

#include <ostream>

#include "store/operational_store.hpp"

namespace csync::store {

const std::vector<std::pair<std::string, std::string>>& export_orders() {
    static const std::vector<std::pair<std::string, std::string>> orders = {
        {"accounts", "name"},
        {"products", "account, external_id"},
        {"categories", "account, external_id"},
        {"stock_levels", "account, external_id, warehouse"},
        {"orders", "account, external_id"},
        {"order_lines", "account, order_external_id, line_number"},
        {"images", "account, product_external_id, position"},
        {"ledger", "account, created_at, tx_type, reference, amount, balance, occurrence"},
        {"account_balances", "account"},
        {"countries", "account, external_id"},
        {"sync_state", "account, stream"},
        {"sync_runs", "id"},
        {"changes", "id"},
        {"dead_letters", "id"},
        {"schema_version", "version"},
        {"account_links", "account"},
        {"account_metrics", "account"},
        {"catalogue", "shop_account, sku, external_id, erp_warehouse"},
    };
    return orders;
}

Result<std::string> export_order(const std::string& table) {
    for (const auto& [name, order] : export_orders()) {
        if (name == table) return order;
    }
    std::string list;
    for (const auto& [name, order] : export_orders()) list += (list.empty() ? "" : ", ") + name;
    return Error::config("cannot export table '" + table + "': known tables are " + list);
}

namespace {

void write_csv_field(std::ostream& out, const std::string& value) {
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
        out << value;
        return;
    }
    out << '"';
    for (char c : value) {
        if (c == '"') out << '"';
        out << c;
    }
    out << '"';
}

}  // namespace

void write_csv_row(std::ostream& out, const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out << ',';
        write_csv_field(out, fields[i]);
    }
    out << "\r\n";
}

}  // namespace csync::store

namespace csync {

const std::vector<std::string>& OperationalStore::exportable_tables() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& [table, order] : store::export_orders()) v.push_back(table);
        return v;
    }();
    return names;
}

}  // namespace csync
