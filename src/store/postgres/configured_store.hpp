#pragma once
// Opens the store the configuration names (store.backend): the SQLite file or the PostgreSQL
// database. The daemon and the CLI go through here so both run on either backend.

#include <memory>

#include "csync/config.hpp"
#include "csync/ports/clock.hpp"
#include "store/operational_store.hpp"

namespace csync {

struct StoreOpenOptions {
    bool daemon_lock = false;  // SQLite: the lock file; PostgreSQL: the shared advisory lock
    bool migrate = true;       // apply pending migrations
    bool read_only = false;    // SQLite opens read-only; PostgreSQL only reads
};

Result<std::unique_ptr<OperationalStore>> open_configured_store(const StoreConfig& config,
                                                                Clock& clock,
                                                                StoreOpenOptions options);

}  // namespace csync
