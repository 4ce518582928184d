#include "store/migrator.hpp"

#include <cctype>
#include <stdexcept>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

namespace csync::store {
namespace {

constexpr const char* kCreateSchemaVersion =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL"
    ") STRICT";

bool is_valid_name(std::string_view name, std::size_t digits) {
    constexpr std::string_view kSuffix = ".sql";
    if (digits == 0 || digits > 6 || name.size() <= digits + 1 + kSuffix.size()) {
        return false;
    }
    return name[digits] == '_' && name.substr(name.size() - kSuffix.size()) == kSuffix;
}

}  // namespace

Result<std::vector<Migration>> parse_migrations(
    const std::vector<std::pair<std::string_view, std::string_view>>& files) {
    std::vector<Migration> out;
    out.reserve(files.size());
    for (const auto& [name, sql] : files) {
        std::size_t digits = 0;
        while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) {
            ++digits;
        }
        if (!is_valid_name(name, digits)) {
            return Error::storage("migration file '" + std::string(name) +
                                  "' is not named <number>_<description>.sql");
        }
        Migration m;
        m.version = std::stoi(std::string(name.substr(0, digits)));
        m.name = std::string(name);
        m.sql = sql;
        const int expected = static_cast<int>(out.size()) + 1;
        if (m.version != expected) {
            return Error::storage("migration file '" + m.name + "' has version " +
                                  std::to_string(m.version) + " where version " +
                                  std::to_string(expected) +
                                  " was expected: migrations must be numbered 1, 2, 3, ...");
        }
        out.push_back(std::move(m));
    }
    return out;
}

int recorded_schema_version(SQLite::Database& db) {
    SQLite::Statement exists(
        db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    exists.executeStep();
    if (exists.getColumn(0).getInt64() == 0) {
        return 0;
    }
    SQLite::Statement version(db, "SELECT coalesce(max(version), 0) FROM schema_version");
    version.executeStep();
    return static_cast<int>(version.getColumn(0).getInt64());
}

int apply_pending_migrations(SQLite::Database& db, const std::vector<Migration>& migrations,
                             const std::string& applied_at) {
    // IMMEDIATE: the write lock is taken before the version is read, so two processes opening
    // the same new file cannot both apply the same migration.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    db.exec(kCreateSchemaVersion);
    int version = recorded_schema_version(db);
    SQLite::Statement record(db,
                             "INSERT INTO schema_version (version, name, applied_at) "
                             "VALUES (?1, ?2, ?3)");
    for (const Migration& m : migrations) {
        if (m.version <= version) {
            continue;
        }
        try {
            db.exec(std::string(m.sql));
        } catch (const SQLite::Exception& e) {
            throw std::runtime_error("migration " + m.name + " failed: " + e.what());
        }
        record.reset();
        record.bind(1, m.version);
        record.bind(2, m.name);
        record.bind(3, applied_at);
        record.exec();
        version = m.version;
    }
    tx.commit();
    return version;
}

}  // namespace csync::store
