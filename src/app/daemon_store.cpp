#include "app/daemon_store.hpp"

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace csync::app {

Result<std::unique_ptr<DaemonStore>> DaemonStore::open(const StoreConfig& config, Clock& clock,
                                                       bool daemon_lock, bool migrate) {
    std::unique_ptr<DaemonStore> out(new DaemonStore());
    if (config.backend == "postgres") {
        PostgresStore::OpenOptions o;
        o.daemon_lock = daemon_lock;
        o.migrate = migrate;
        auto opened = PostgresStore::open(config.dsn, clock, o);
        if (!opened.ok()) return std::move(opened).error();
        out->postgres_ = std::move(opened.value());
    } else {
        SqliteStore::OpenOptions o;
        o.daemon_lock = daemon_lock;
        o.migrate = migrate;
        auto opened = SqliteStore::open(config.path, clock, o);
        if (!opened.ok()) return std::move(opened).error();
        out->sqlite_ = std::move(opened.value());
    }
    return out;
}

DaemonStore::~DaemonStore() = default;

Store& DaemonStore::port() {
    if (postgres_) return *postgres_;
    return *sqlite_;
}

Status DaemonStore::set_account_links(
    const std::vector<std::pair<std::string, std::string>>& links) {
    return postgres_ ? postgres_->set_account_links(links) : sqlite_->set_account_links(links);
}

Status DaemonStore::save_account_metrics(const std::string& account,
                                         const AccountMetrics& metrics) {
    return postgres_ ? postgres_->save_account_metrics(account, metrics)
                     : sqlite_->save_account_metrics(account, metrics);
}

Result<std::map<std::string, AccountMetrics>> DaemonStore::account_metrics() {
    return postgres_ ? postgres_->account_metrics() : sqlite_->account_metrics();
}

Result<DaemonStore::Pruned> DaemonStore::prune_batch(UtcTime runs_before, UtcTime changes_before) {
    if (postgres_) {
        auto n = postgres_->prune_batch(runs_before, changes_before);
        if (!n.ok()) return std::move(n).error();
        return Pruned{n->runs, n->changes};
    }
    auto n = sqlite_->prune_batch(runs_before, changes_before);
    if (!n.ok()) return std::move(n).error();
    return Pruned{n->runs, n->changes};
}

Result<int> DaemonStore::schema_version() {
    return postgres_ ? postgres_->schema_version() : sqlite_->schema_version();
}

}  // namespace csync::app
