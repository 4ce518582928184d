#pragma once
// Schema migrations: numbered SQL files ("0001_initial.sql", "0002_stock_levels.sql", ...) applied
// in order, all pending ones in ONE transaction, each recorded in
// schema_version(version, name, applied_at). A failed migration leaves the file untouched.
// Thread affinity: the functions use the connection they are given, on the caller's thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csync/error.hpp"

namespace SQLite {
class Database;
}

namespace csync::store {

struct Migration {
    int version = 0;   // from the file name's leading digits
    std::string name;  // the file name, "0002_stock_levels.sql"
    std::string_view sql;
};

// Checks and numbers a list of (file name, SQL): every name must be "<digits>_<words>.sql", and
// the versions must run 1, 2, 3, ... without gaps or duplicates. Never throws.
Result<std::vector<Migration>> parse_migrations(
    const std::vector<std::pair<std::string_view, std::string_view>>& files);

// The newest version recorded in `db`, 0 for a database that has no schema_version table yet.
// Throws SQLite::Exception.
int recorded_schema_version(SQLite::Database& db);

// Applies every migration newer than the recorded version inside one IMMEDIATE transaction and
// returns the resulting version. Throws SQLite::Exception, or std::runtime_error naming the
// migration file whose SQL failed; either way nothing was applied.
int apply_pending_migrations(SQLite::Database& db, const std::vector<Migration>& migrations,
                             const std::string& applied_at);

}  // namespace csync::store
