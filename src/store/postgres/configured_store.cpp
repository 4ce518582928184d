#include "store/postgres/configured_store.hpp"

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace csync {

Result<std::unique_ptr<OperationalStore>> open_configured_store(const StoreConfig& config,
                                                                Clock& clock,
                                                                StoreOpenOptions options) {
    if (config.backend == "postgres") {
        PostgresStore::OpenOptions o;
        o.daemon_lock = options.daemon_lock;
        o.migrate = options.migrate && !options.read_only;
        auto opened = PostgresStore::open(config.dsn, clock, o);
        if (!opened.ok()) return std::move(opened).error();
        return std::unique_ptr<OperationalStore>(std::move(opened.value()));
    }
    SqliteStore::OpenOptions o;
    o.daemon_lock = options.daemon_lock;
    o.migrate = options.migrate;
    o.read_only = options.read_only;
    auto opened = SqliteStore::open(config.path, clock, o);
    if (!opened.ok()) return std::move(opened).error();
    return std::unique_ptr<OperationalStore>(std::move(opened.value()));
}

}  // namespace csync
