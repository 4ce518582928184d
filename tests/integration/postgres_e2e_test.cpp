// The PostgreSQL store end to end: a SQLite store filled by a real sync against the simulator is
// copied by `migrate-store`, and the daemon continues on PostgreSQL from the copied cursors
// without inserting anything again. Needs CSYNC_TEST_PG_DSN (scripts/test starts a server).

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>

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

std::string sunsky_account(const Simulator& sim,
                           const std::string& streams = "{ categories: {}, products: {} }") {
    return "accounts:\n"
           "  - name: sun\n"
           "    platform: sunsky\n"
           "    base_url: " +
           sim.base_url() +
           "\n"
           "    credentials: { key: k, secret: s }\n"
           "    rate_limit: { per_second: 500, burst: 100 }\n"
           "    streams: " +
           streams + "\n";
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

    // `export` writes the same bytes from either backend.
    write_file(dir / "pg.yaml",
               "store: { backend: postgres, dsn: \"${E2E_DSN}\" }\n" + sunsky_account(sim));
    const std::string pg_cfg = (dir / "pg.yaml").string();
    for (const char* table : {"categories", "products", "sync_state"}) {
        auto from_lite = run(
            {syncd_bin(), "export", table, "--format", "csv", "-c", (dir / "lite.yaml").string()},
            30s);
        auto from_pg = run({syncd_bin(), "export", table, "--format", "csv", "-c", pg_cfg}, 30s,
                           {{"E2E_DSN", dsn_}});
        ASSERT_EQ(from_pg.exit_code, 0) << from_pg.output;
        EXPECT_EQ(from_pg.output, from_lite.output) << table;
    }

    // A second copy is refused: the target holds data now.
    auto again = run({syncd_bin(), "migrate-store", "--from", "sqlite:" + db.string(), "--to",
                      "postgres:" + dsn_},
                     60s);
    EXPECT_EQ(again.exit_code, 2) << again.output;

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
}

TEST_F(PostgresEndToEnd, DeadLettersAndExportRunOnAPostgresConfig) {
    TempDir dir;
    Simulator sim(
        dir, "sunsky",
        {"--seed", "7", "--products", "20", "--key", "k", "--secret", "s", "--rate-limit", "0"});
    const auto odd = sim.post_json("/__sim/sunsky/unknown-status?count=2&status=9");
    ASSERT_EQ(odd["unknown_status"].size(), 2u) << odd.dump();
    const auto config = [&](bool keep_unknown_status) {
        return "store: { backend: postgres, dsn: \"${E2E_DSN}\" }\n" +
               sunsky_account(sim, std::string("{ products: { keep_unknown_status: ") +
                                       (keep_unknown_status ? "true" : "false") + " } }");
    };
    write_file(dir / "pg.yaml", config(false));
    const std::string cfg = (dir / "pg.yaml").string();
    const std::map<std::string, std::string> env = {{"E2E_DSN", dsn_}};
    auto synced = run({syncd_bin(), "sync-once", "-c", cfg}, 60s, env);
    ASSERT_EQ(synced.exit_code, 0) << synced.output;
    ASSERT_EQ(pg_one("SELECT count(*) FROM products"), "18");

    auto listed = run({syncd_bin(), "dead-letters", "--json", "-c", cfg}, 30s, env);
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    std::vector<std::string> ids;
    std::istringstream lines(listed.output);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("{"))
            ids.push_back(std::to_string(nlohmann::json::parse(line)["id"].get<std::int64_t>()));
    }
    ASSERT_EQ(ids.size(), 2u) << listed.output;

    auto dismissed = run({syncd_bin(), "dead-letters", "dismiss", ids[0], "-c", cfg}, 30s, env);
    EXPECT_EQ(dismissed.exit_code, 0) << dismissed.output;
    auto twice = run({syncd_bin(), "dead-letters", "dismiss", ids[0], "-c", cfg}, 30s, env);
    EXPECT_EQ(twice.exit_code, 2) << twice.output;
    EXPECT_NE(twice.output.find("already resolved"), std::string::npos) << twice.output;

    // Once the configuration keeps the unknown status, the other letter maps and is stored.
    write_file(dir / "pg.yaml", config(true));
    auto retried = run({syncd_bin(), "dead-letters", "retry", ids[1], "-c", cfg}, 30s, env);
    EXPECT_EQ(retried.exit_code, 0) << retried.output;
    EXPECT_EQ(pg_one("SELECT count(*) FROM products"), "19");
    EXPECT_EQ(pg_one("SELECT count(*) FROM dead_letters WHERE resolved_at IS NULL"), "0");

    auto exported =
        run({syncd_bin(), "export", "products", "--format", "csv", "-c", cfg}, 30s, env);
    ASSERT_EQ(exported.exit_code, 0) << exported.output;
    EXPECT_TRUE(exported.output.starts_with("account,external_id,")) << exported.output;
    std::size_t rows = 0;
    for (std::size_t at = exported.output.find("\r\nsun,"); at != std::string::npos;
         at = exported.output.find("\r\nsun,", at + 1)) {
        ++rows;
    }
    EXPECT_EQ(rows, 19u);
}

}  // namespace
}  // namespace csync::it
