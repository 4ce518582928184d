// The PostgreSQL store end to end: a SQLite store filled by a real sync against the simulator is
// copied by `migrate-store`, and the daemon continues on PostgreSQL from the copied cursors
// without inserting anything again. Needs CSYNC_TEST_PG_DSN (scripts/test starts a server).

#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;

class PostgresEndToEnd : public ::testing::Test {
  protected:
    void SetUp() override {
        const char* dsn = std::getenv("CSYNC_TEST_PG_DSN");
        if (!dsn) {
            GTEST_SKIP() << "CSYNC_TEST_PG_DSN is not set: run scripts/test, or start a server "
                            "with `scripts/pg-test-server start DIR` and export the DSN it prints";
        }
        schema_ = "csync_e2e_" + std::to_string(::getpid());
        pg_ = std::make_unique<pqxx::connection>(dsn);
        pqxx::nontransaction tx(*pg_);
        tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
        tx.exec("CREATE SCHEMA " + schema_);
        tx.exec("SET search_path TO " + schema_);
        // The store lives in this test's schema: the DSN names it as the search_path.
        const std::string base(dsn);
        const std::string option = "options=-csearch_path%3D" + schema_;
        dsn_ = base.find("://") != std::string::npos
                   ? base + (base.find('?') == std::string::npos ? "?" : "&") + option
                   : base + " options=-csearch_path=" + schema_;
    }
    void TearDown() override {
        if (!pg_) return;
        pqxx::nontransaction tx(*pg_);
        tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }
    std::string pg_one(const std::string& sql) {
        pqxx::nontransaction tx(*pg_);
        auto r = tx.exec(sql);
        return r.empty() || r[0][0].is_null() ? "<null>" : r[0][0].c_str();
    }

    std::string schema_;
    std::string dsn_;
    std::unique_ptr<pqxx::connection> pg_;
};

std::string sunsky_account(const Simulator& sim) {
    return "accounts:\n"
           "  - name: sun\n"
           "    platform: sunsky\n"
           "    base_url: " +
           sim.base_url() +
           "\n"
           "    credentials: { key: k, secret: s }\n"
           "    rate_limit: { per_second: 500, burst: 100 }\n"
           "    streams: { categories: {}, products: {} }\n";
}

TEST_F(PostgresEndToEnd, ASqliteStoreMovesToPostgresAndTheDaemonContinuesFromItsCursors) {
    TempDir dir;
    Simulator sim(
        dir, "sunsky",
        {"--seed", "3", "--products", "120", "--key", "k", "--secret", "s", "--rate-limit", "0"});
    const fs::path db = dir / "store.db";
    write_file(dir / "lite.yaml", "store: { path: " + db.string() + " }\n" + sunsky_account(sim));
    auto synced = run({syncd_bin(), "sync-once", "-c", (dir / "lite.yaml").string()}, 60s);
    ASSERT_EQ(synced.exit_code, 0) << synced.output;
    const std::string products = query_one(db, "SELECT count(*) FROM products");
    const std::string changes = query_one(db, "SELECT count(*) FROM changes");
    const std::string cursor =
        query_one(db, "SELECT cursor FROM sync_state WHERE stream = 'products'");
    ASSERT_EQ(products, "120");

    auto moved = run({syncd_bin(), "migrate-store", "--from", "sqlite:" + db.string(), "--to",
                      "postgres:" + dsn_},
                     60s);
    ASSERT_EQ(moved.exit_code, 0) << moved.output;
    EXPECT_NE(moved.output.find("copied"), std::string::npos) << moved.output;
    EXPECT_EQ(pg_one("SELECT count(*) FROM products"), products);
    EXPECT_EQ(pg_one("SELECT count(*) FROM changes"), changes);
    EXPECT_EQ(pg_one("SELECT cursor FROM sync_state WHERE stream = 'products'"), cursor);

    // A second copy is refused: the target holds data now.
    auto again = run({syncd_bin(), "migrate-store", "--from", "sqlite:" + db.string(), "--to",
                      "postgres:" + dsn_},
                     60s);
    EXPECT_EQ(again.exit_code, 2) << again.output;

    write_file(dir / "pg.yaml",
               "store: { backend: postgres, dsn: \"${E2E_DSN}\" }\n" + sunsky_account(sim));
    const std::string pg_cfg = (dir / "pg.yaml").string();
    auto continued = run({syncd_bin(), "sync-once", "-c", pg_cfg}, 60s, {{"E2E_DSN", dsn_}});
    ASSERT_EQ(continued.exit_code, 0) << continued.output;
    // Nothing was inserted again: the same rows, no new change rows, the cursor kept.
    EXPECT_EQ(pg_one("SELECT count(*) FROM products"), products);
    EXPECT_EQ(pg_one("SELECT count(*) FROM changes"), changes);
    EXPECT_EQ(pg_one("SELECT count(DISTINCT external_id) FROM products"), products);
    EXPECT_EQ(pg_one("SELECT sum(inserted) FROM sync_runs WHERE id > (SELECT max(id) FROM "
                     "sync_runs) - 2"),
              "0");

    auto status = run({syncd_bin(), "status", "--json", "-c", pg_cfg}, 30s, {{"E2E_DSN", dsn_}});
    ASSERT_EQ(status.exit_code, 0) << status.output;
    auto doc = nlohmann::json::parse(status.output);
    EXPECT_EQ(doc["accounts"]["sun"]["streams"]["products"]["records"], 120);
    auto exported =
        run({syncd_bin(), "export", "products", "-c", pg_cfg}, 30s, {{"E2E_DSN", dsn_}});
    EXPECT_EQ(exported.exit_code, 2);
    EXPECT_NE(exported.output.find("SQLite store only"), std::string::npos) << exported.output;
}

}  // namespace
}  // namespace csync::it
