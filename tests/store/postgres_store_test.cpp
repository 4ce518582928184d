// What only the PostgreSQL store does: the lease fence, the schema it shares with SQLite, the
// DSN's password kept out of messages. Needs CSYNC_TEST_PG_DSN (scripts/test provides a server).

#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "store/migrator.hpp"
#include "store_backends.hpp"

namespace csync::testing {
namespace {

using namespace std::chrono_literals;

class PostgresStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!test_pg_dsn()) GTEST_SKIP() << kNoPgServer;
        backend_ = std::make_unique<PostgresBackend>(clock_);
        ASSERT_TRUE(store().register_account("shop", "sunsky").ok());
    }
    PostgresStore& store() { return backend_->postgres(); }

    void lease(const std::string& owner, std::int64_t token, const std::string& expires_in) {
        backend_->integer(
            "WITH up AS (INSERT INTO account_leases (account, owner, token, expires_at,"
            " acquired_at, heartbeat_at) VALUES ('shop', '" +
            owner + "', " + std::to_string(token) + ", now() + interval '" + expires_in +
            "', now(), now()) ON CONFLICT (account) DO UPDATE SET owner = excluded.owner,"
            " token = excluded.token, expires_at = excluded.expires_at RETURNING 1)"
            " SELECT count(*) FROM up");
    }

    PageRecords one_product() {
        PageRecords page;
        page.products.push_back(make_product("A1"));
        return page;
    }

    void expect_nothing_committed() {
        EXPECT_EQ(backend_->integer("SELECT count(*) FROM products"), 0);
        EXPECT_EQ(backend_->integer("SELECT count(*) FROM changes"), 0);
        auto cursor = store().load_cursor({"shop", "products"});
        ASSERT_TRUE(cursor.ok());
        EXPECT_FALSE(cursor->has_value());
    }

    FakeClock clock_;
    std::unique_ptr<PostgresBackend> backend_;
};

TEST_F(PostgresStoreTest, AFenceWithAnotherTokenRefusesThePageAndCommitsNothing) {
    lease("replica-b", 8, "30 seconds");
    ASSERT_TRUE(store().set_lease_fence("shop", LeaseFence{"replica-a", 7}).ok());
    auto refused = store().apply_page({"shop", "products"}, 0, one_product(), {{"page", 1}});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::fenced);
    EXPECT_NE(refused.error().message.find("account 'shop'"), std::string::npos)
        << refused.error().message;
    expect_nothing_committed();
    // Every other write of the account is fenced too.
    EXPECT_EQ(store().save_account_state("shop", {{"token", "x"}}).error().kind, ErrorKind::fenced);
    EXPECT_EQ(store().set_account_state("shop", "parked", "x").error().kind, ErrorKind::fenced);
    EXPECT_EQ(store().begin_run({"shop", "products"}, UtcTime{}).error().kind, ErrorKind::fenced);
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM account_state"), 0);
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM sync_runs"), 0);
}

TEST_F(PostgresStoreTest, AnExpiredLeaseRefusesThePage) {
    lease("replica-a", 7, "-1 seconds");
    ASSERT_TRUE(store().set_lease_fence("shop", LeaseFence{"replica-a", 7}).ok());
    auto refused = store().apply_page({"shop", "products"}, 0, one_product(), {{"page", 1}});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::fenced);
    expect_nothing_committed();
}

TEST_F(PostgresStoreTest, AHeldLeaseCommitsAndNoFenceMeansNoCheck) {
    lease("replica-a", 7, "30 seconds");
    ASSERT_TRUE(store().set_lease_fence("shop", LeaseFence{"replica-a", 7}).ok());
    auto run = store().begin_run({"shop", "products"}, UtcTime{std::chrono::seconds{1}});
    ASSERT_TRUE(run.ok()) << run.error().message;
    auto applied = store().apply_page({"shop", "products"}, *run, one_product(), {{"page", 1}});
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_EQ(applied->inserted, 1);
    ASSERT_TRUE(store().finish_run(*run, RunSummary{}).ok());
    // The lease moves on: finishing another run of the account is refused.
    auto next = store().begin_run({"shop", "products"}, UtcTime{std::chrono::seconds{2}});
    ASSERT_TRUE(next.ok());
    lease("replica-b", 8, "30 seconds");
    EXPECT_EQ(store().finish_run(*next, RunSummary{}).error().kind, ErrorKind::fenced);
    // Without a fence (the SQLite-like single process) nothing is checked.
    ASSERT_TRUE(store().set_lease_fence("shop", std::nullopt).ok());
    EXPECT_TRUE(store().apply_page({"shop", "products"}, 0, one_product(), {{"page", 2}}).ok());
}

TEST_F(PostgresStoreTest, ADeadLetterRetryChecksTheLeaseFenceOfItsAccount) {
    PageRecords bad;
    bad.dead_letters.push_back(DeadLetter{"itemNo=A1", R"({"price":"x"})", "price is bad"});
    ASSERT_TRUE(store().apply_page({"shop", "products"}, 0, bad, {{"page", 1}}).ok());
    const std::int64_t id = store().dead_letters({})->at(0).id;
    lease("replica-b", 8, "30 seconds");
    ASSERT_TRUE(store().set_lease_fence("shop", LeaseFence{"replica-a", 7}).ok());
    auto refused = store().apply_dead_letter_retry(id, R"({"price":"x"})", one_product());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::fenced);
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM products"), 0);
    EXPECT_FALSE(store().dead_letter(id)->value().resolved_at.has_value());

    ASSERT_TRUE(store().set_lease_fence("shop", LeaseFence{"replica-b", 8}).ok());
    auto stored = store().apply_dead_letter_retry(id, R"({"price":"x"})", one_product());
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM products"), 1);
}

TEST_F(PostgresStoreTest, BothBackendsHaveTheSameTablesAndColumns) {
    auto pg = store().schema_columns();
    ASSERT_TRUE(pg.ok()) << pg.error().message;
    // Every table and view of the SQLite file with its columns, in declaration order.
    TempDir dir;
    const std::string path = dir.file("schema.db");
    auto opened = SqliteStore::open(path, clock_, {});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    std::map<std::string, std::vector<std::string>> lite;
    SQLite::Statement tables(db,
                             "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                             " AND name NOT LIKE 'sqlite_%'");
    while (tables.executeStep()) {
        const std::string table = tables.getColumn(0).getString();
        SQLite::Statement columns(db, "SELECT name FROM pragma_table_info(?1)");
        columns.bind(1, table);
        while (columns.executeStep()) lite[table].push_back(columns.getColumn(0).getString());
    }
    // The documented differences: the replicas' tables exist only where replicas can run.
    EXPECT_EQ((*pg)["account_leases"],
              (std::vector<std::string>{"account", "owner", "token", "expires_at", "acquired_at",
                                        "heartbeat_at"}));
    for (const auto& table : PostgresStore::postgres_only_tables()) {
        EXPECT_TRUE(pg->count(table)) << table;
        pg->erase(table);
    }
    EXPECT_EQ(*pg, lite);
}

TEST_F(PostgresStoreTest, TheSchemaVersionFollowsTheEmbeddedMigrations) {
    auto version = store().schema_version();
    ASSERT_TRUE(version.ok()) << version.error().message;
    EXPECT_EQ(*version, PostgresStore::latest_schema_version());
    EXPECT_GE(*version, 1);
    // Opening again migrates nothing and keeps the data.
    auto again = PostgresStore::open(backend_->dsn(), clock_, {.schema = backend_->schema()});
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM schema_version"), *version);
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM accounts"), 1);
}

TEST_F(PostgresStoreTest, MoneyIsNumericAndTimesAreTimestamptz) {
    EXPECT_EQ(backend_->text("SELECT data_type FROM information_schema.columns WHERE "
                             "table_schema = current_schema() AND table_name = 'products' AND "
                             "column_name = 'price'"),
              "numeric");
    EXPECT_EQ(backend_->text("SELECT data_type FROM information_schema.columns WHERE "
                             "table_schema = current_schema() AND table_name = 'orders' AND "
                             "column_name = 'paid_at'"),
              "timestamp with time zone");
}

TEST_F(PostgresStoreTest, ADaemonHoldsTheStoreLockShared) {
    // Two daemons share it; an exclusive taker (migrate-store) is refused while they run.
    auto first = PostgresStore::open(backend_->dsn(), clock_,
                                     {.daemon_lock = true, .schema = backend_->schema()});
    ASSERT_TRUE(first.ok()) << first.error().message;
    auto second = PostgresStore::open(backend_->dsn(), clock_,
                                      {.daemon_lock = true, .schema = backend_->schema()});
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(backend_->integer("SELECT pg_try_advisory_lock(1668507000, "
                                "hashtext(current_schema()))::int"),
              0);
}

// migrate-store's copy: a filled SQLite store continues on PostgreSQL from the same cursors,
// without re-reading and without duplicating a row.
TEST_F(PostgresStoreTest, ASqliteStoreIsCopiedWholeAndContinuesFromItsCursors) {
    TempDir dir;
    const std::string path = dir.file("commerce.db");
    auto opened = SqliteStore::open(path, clock_, {});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    SqliteStore& lite = **opened;
    ASSERT_TRUE(lite.register_account("shop", "sunsky").ok());
    const StreamKey key{"shop", "products"};
    auto run = lite.begin_run(key, UtcTime{std::chrono::seconds{1'700'000'000}});
    ASSERT_TRUE(run.ok());
    PageRecords page;
    page.products = {make_product("A1", "1.50"), make_product("A2")};
    page.dead_letters.push_back(DeadLetter{"itemNo=BAD", "{}", "price is not a decimal"});
    ASSERT_TRUE(lite.apply_page(key, *run, page, {{"page", 7}}).ok());
    ASSERT_TRUE(lite.finish_run(*run, RunSummary{}).ok());
    ASSERT_TRUE(lite.save_account_state("shop", {{"token.refresh", "R1"}}).ok());

    PostgresBackend target(clock_);  // empty: the fixture's store already holds an account
    PostgresStore& pg = target.postgres();
    auto copied = pg.copy_from_sqlite(path);
    ASSERT_TRUE(copied.ok()) << copied.error().message;
    EXPECT_EQ(copied->at("products"), 2);
    EXPECT_EQ(copied->at("changes"), 2);

    auto cursor = pg.load_cursor(key);
    ASSERT_TRUE(cursor.ok() && cursor->has_value());
    EXPECT_EQ(**cursor, (nlohmann::json{{"page", 7}}));
    EXPECT_EQ(pg.load_account_state("shop")->at("token.refresh"), "R1");
    auto known_lite = lite.known_versions("shop", "product", "", {"A1", "A2"});
    auto known_pg = pg.known_versions("shop", "product", "", {"A1", "A2"});
    ASSERT_TRUE(known_lite.ok() && known_pg.ok());
    ASSERT_EQ(known_pg->size(), 2u);
    EXPECT_EQ(known_pg->at("A1").content_hash, known_lite->at("A1").content_hash);
    EXPECT_EQ(known_pg->at("A1").last_seen_at, known_lite->at("A1").last_seen_at);
    auto status_lite = lite.status();
    auto status_pg = pg.status();
    ASSERT_TRUE(status_lite.ok() && status_pg.ok());
    ASSERT_EQ(status_pg->size(), 1u);
    EXPECT_EQ((*status_pg)[0].records, (*status_lite)[0].records);
    EXPECT_EQ((*status_pg)[0].dead_letters, 1);
    EXPECT_EQ((*status_pg)[0].last_success_at, (*status_lite)[0].last_success_at);
    EXPECT_EQ(target.text("SELECT price FROM products WHERE external_id = 'A1'"), "1.5");

    // The daemon continues: the same page again is unchanged, and new ids follow the copied.
    auto next = pg.begin_run(key, UtcTime{std::chrono::seconds{1'700'000'100}});
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_GT(*next, *run);
    auto again = pg.apply_page(key, *next, page, {{"page", 8}});
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->unchanged, 2);
    EXPECT_EQ(again->inserted, 0);
    EXPECT_EQ(target.integer("SELECT count(*) FROM products"), 2);
    EXPECT_EQ(target.integer("SELECT count(*) FROM changes"), 2);
    EXPECT_EQ(target.integer("SELECT count(*) FROM dead_letters"), 1);

    // A store that holds data is never overwritten.
    auto twice = pg.copy_from_sqlite(path);
    ASSERT_FALSE(twice.ok());
    EXPECT_EQ(twice.error().kind, ErrorKind::config);
    EXPECT_NE(twice.error().message.find("already holds data"), std::string::npos);
}

TEST_F(PostgresStoreTest, TheCopyIsRefusedWhileADaemonRunsOnTheTarget) {
    TempDir dir;
    const std::string path = dir.file("commerce.db");
    ASSERT_TRUE(SqliteStore::open(path, clock_, {}).ok());
    auto daemon = PostgresStore::open(backend_->dsn(), clock_,
                                      {.daemon_lock = true, .schema = backend_->schema()});
    ASSERT_TRUE(daemon.ok()) << daemon.error().message;
    auto refused = store().copy_from_sqlite(path);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("a commerce-syncd daemon is running"), std::string::npos)
        << refused.error().message;
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM accounts"), 1);  // the fixture's own
}

TEST(RedactDsn, MasksThePasswordInEveryForm) {
    EXPECT_EQ(redact_dsn("postgresql://sync:s3cr%40t@db.example:5432/csync?sslmode=require"),
              "postgresql://sync:***@db.example:5432/csync?sslmode=require");
    EXPECT_EQ(redact_dsn("host=db user=sync password=s3cret dbname=csync"),
              "host=db user=sync password=*** dbname=csync");
    EXPECT_EQ(redact_dsn("host=db password='with space' dbname=csync"),
              "host=db password=*** dbname=csync");
    EXPECT_EQ(redact_dsn("postgresql://db/csync?user=u&password=p&sslmode=require"),
              "postgresql://db/csync?user=u&password=***&sslmode=require");
    EXPECT_EQ(redact_dsn("postgresql://sync@db/csync"), "postgresql://sync@db/csync");
}

TEST(PostgresStoreOpen, AnUnreachableServerIsAStorageErrorWithoutThePassword) {
    FakeClock clock;
    auto opened = PostgresStore::open(
        "host=127.0.0.1 port=1 user=sync password=hunter2 dbname=x connect_timeout=2", clock, {});
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().kind, ErrorKind::storage);
    EXPECT_EQ(opened.error().message.find("hunter2"), std::string::npos) << opened.error().message;
    EXPECT_NE(opened.error().message.find("password=***"), std::string::npos)
        << opened.error().message;
}

// `commerce-syncd export` must not depend on the backend: the same pages give the same bytes.
TEST(PostgresExport, BothBackendsExportTheSamePagesIdentically) {
    if (!test_pg_dsn()) GTEST_SKIP() << kNoPgServer;
    FakeClock clock;
    SqliteBackend lite(clock);
    PostgresBackend pg(clock);
    std::vector<OperationalStore*> stores = {lite.operational(), pg.operational()};

    PageRecords products;
    products.products.push_back(make_product("b", "2.50"));
    products.products.push_back(make_product("B", "-0.5"));
    products.products.push_back(make_product("a,\"quoted\"\nline", "100"));
    products.stock_levels.push_back(make_stock("r1", "SKU-b", "12.50"));
    products.dead_letters.push_back(DeadLetter{"itemNo=X", R"({"price":"x"})", "price is bad"});
    PageRecords orders;
    Order o;
    o.external_id = "O-1";
    o.status = OrderStatus::paid;
    o.platform_status = "PAID";
    o.currency = "EUR";
    o.total_amount = Decimal::parse("19.90").value();
    o.created_at = UtcTime{std::chrono::seconds{1'695'434'462}};
    o.delivery_address_json = R"({"city":"Köln"})";
    o.lines.push_back(OrderLine{"1", "SKU-b", "Product b", Decimal::parse("2").value(),
                                Decimal::parse("9.950").value(), std::nullopt});
    o.raw_json = R"({"id":"O-1"})";
    orders.orders.push_back(o);
    PageRecords ledger;
    ledger.ledger.push_back(LedgerEntry{UtcTime{std::chrono::seconds{1'695'434'462}}, "pay", "",
                                        Decimal::parse("10.00").value(),
                                        Decimal::parse("9").value(), 1, "{}"});
    ledger.ledger.push_back(LedgerEntry{UtcTime{std::chrono::seconds{1'695'434'462}}, "pay", "R-1",
                                        Decimal::parse("9.00").value(),
                                        Decimal::parse("18").value(), 1, "{}"});
    ledger.balance = AccountBalance{Decimal::parse("18.00").value(), "USD",
                                    UtcTime{std::chrono::seconds{1'695'434'462}}};
    for (OperationalStore* store : stores) {
        ASSERT_TRUE(store->register_account("shop", "sunsky").ok());
        ASSERT_TRUE(store->apply_page({"shop", "products"}, 0, products, {{"page", 1}}).ok());
        ASSERT_TRUE(store->apply_page({"shop", "orders"}, 0, orders, {{"page", 1}}).ok());
        ASSERT_TRUE(store->apply_page({"shop", "account"}, 0, ledger, {{"page", 1}}).ok());
    }
    clock.advance(std::chrono::minutes(3));
    for (OperationalStore* store : stores) {
        const auto id = store->dead_letters({})->at(0).id;
        ASSERT_TRUE(store->dismiss_dead_letters({id}).ok());
    }

    for (const std::string& table : OperationalStore::exportable_tables()) {
        if (table == "schema_version") continue;  // each backend numbers its own migrations
        for (const ExportFormat format : {ExportFormat::ndjson, ExportFormat::csv}) {
            std::ostringstream from_lite, from_pg;
            ASSERT_TRUE(stores[0]->export_table(table, from_lite, format).ok()) << table;
            auto exported = stores[1]->export_table(table, from_pg, format);
            ASSERT_TRUE(exported.ok()) << exported.error().message;
            const std::set<std::string> filled = {"products",        "stock_levels", "orders",
                                                  "order_lines",     "ledger",       "dead_letters",
                                                  "account_balances"};
            if (filled.count(table)) {
                EXPECT_NE(from_lite.str().find("shop"), std::string::npos) << table;
            }
            EXPECT_EQ(from_pg.str(), from_lite.str())
                << table << (format == ExportFormat::csv ? " (csv)" : " (ndjson)");
        }
    }
}

}  // namespace
}  // namespace csync::testing
