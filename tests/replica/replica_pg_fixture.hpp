#pragma once
// A private schema in the test PostgreSQL (CSYNC_TEST_PG_DSN, exported by scripts/test), dropped
// at the end, so tests running in parallel never see each other's rows. dsn() selects it through
// libpq's `options` (search_path), for every connection made with it, the daemon's included.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace csync::test {

class PgSchema {
  public:
    static std::string skip_reason() {
        return "CSYNC_TEST_PG_DSN is not set: no PostgreSQL to test against (scripts/test starts "
               "one when the postgresql package is installed)";
    }

    // nullptr when no test server is configured. With `migrate`, the PostgreSQL migrations are
    // applied as the store would.
    static std::unique_ptr<PgSchema> create(bool migrate = true) {
        const char* base = std::getenv("CSYNC_TEST_PG_DSN");
        if (base == nullptr || *base == '\0') return nullptr;
        std::random_device rd;
        auto schema = "csync_test_" + std::to_string(rd()) + std::to_string(rd() % 1000);
        std::unique_ptr<PgSchema> out(new PgSchema(base, schema));
        {
            pqxx::connection c(base);
            pqxx::work tx(c);
            tx.exec("CREATE SCHEMA " + schema);
            tx.commit();
        }
        if (migrate) out->apply_migrations();
        return out;
    }

    ~PgSchema() {
        try {
            pqxx::connection c(base_);
            pqxx::work tx(c);
            tx.exec("DROP SCHEMA " + schema_ + " CASCADE");
            tx.commit();
        } catch (const std::exception&) {
            // The server is gone with scripts/test's temporary folder anyway.
        }
    }

    const std::string& dsn() const { return dsn_; }
    const std::string& schema() const { return schema_; }

  private:
    PgSchema(std::string base, std::string schema) : base_(std::move(base)), schema_(schema) {
        const bool uri = base_.rfind("postgresql://", 0) == 0 || base_.rfind("postgres://", 0) == 0;
        if (uri) {
            dsn_ = base_ + (base_.find('?') == std::string::npos ? "?" : "&") +
                   "options=-csearch_path%3D" + schema;
        } else {
            dsn_ = base_ + " options='-csearch_path=" + schema + "'";
        }
    }

    void apply_migrations() {
        std::vector<std::filesystem::path> files;
        for (const auto& e :
             std::filesystem::directory_iterator(CSYNC_SOURCE_DIR "/migrations/postgres")) {
            if (e.path().extension() == ".sql") files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());
        pqxx::connection c(dsn_);
        pqxx::work tx(c);
        // account_leases is the store's (0001); the lease tests also run where only the replicas
        // migration exists, so its contract is created here when 0001 did not create it.
        bool leases_created = false;
        for (const auto& f : files) {
            std::ifstream in(f);
            std::stringstream sql;
            sql << in.rdbuf();
            if (!leases_created && f.filename().string() >= "0002") {
                create_lease_table(tx);
                leases_created = true;
            }
            tx.exec(sql.str());
        }
        if (!leases_created) create_lease_table(tx);
        tx.commit();
    }

    static void create_lease_table(pqxx::work& tx) {
        tx.exec(
            "CREATE TABLE IF NOT EXISTS account_leases (account text PRIMARY KEY, owner text, "
            "token bigint NOT NULL DEFAULT 0, expires_at timestamptz, acquired_at timestamptz, "
            "heartbeat_at timestamptz)");
    }

    std::string base_;
    std::string schema_;
    std::string dsn_;
};

}  // namespace csync::test
