// Migrations: numbering rules, fresh databases, upgrades of older files, refusal of newer ones.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "store/embedded_migrations.hpp"
#include "store/migrator.hpp"
#include "store_test_support.hpp"

namespace csync::testing {
namespace {

using store::parse_migrations;

TEST(ParseMigrations, NumbersTheEmbeddedFilesFromOne) {
    auto parsed = parse_migrations(store::embedded_migrations());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    ASSERT_GE(parsed->size(), 2u);
    EXPECT_EQ((*parsed)[0].name, "0001_initial.sql");
    for (std::size_t i = 0; i < parsed->size(); ++i) {
        EXPECT_EQ((*parsed)[i].version, static_cast<int>(i) + 1);
        EXPECT_FALSE((*parsed)[i].sql.empty());
    }
    EXPECT_EQ(SqliteStore::latest_schema_version(), parsed->back().version);
}

TEST(ParseMigrations, RejectsANameWithoutNumberAndDescription) {
    auto parsed = parse_migrations({{"initial.sql", "SELECT 1"}});
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, ErrorKind::storage);
    EXPECT_NE(parsed.error().message.find("'initial.sql'"), std::string::npos);

    EXPECT_FALSE(parse_migrations({{"0001_.sql", "SELECT 1"}}).ok());
    EXPECT_FALSE(parse_migrations({{"0001_initial.txt", "SELECT 1"}}).ok());
}

TEST(ParseMigrations, RejectsGapsAndDuplicates) {
    auto gap = parse_migrations({{"0001_a.sql", "SELECT 1"}, {"0003_c.sql", "SELECT 1"}});
    ASSERT_FALSE(gap.ok());
    EXPECT_NE(gap.error().message.find("'0003_c.sql' has version 3 where version 2"),
              std::string::npos)
        << gap.error().message;
    EXPECT_FALSE(parse_migrations({{"0001_a.sql", "SELECT 1"}, {"0001_b.sql", "SELECT 1"}}).ok());
}

TEST(ApplyPendingMigrations, AFailingMigrationAppliesNothing) {
    TempDir dir;
    SQLite::Database db(dir.file("x.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    auto parsed = parse_migrations({{"0001_a.sql", "CREATE TABLE a (x INTEGER) STRICT;"},
                                    {"0002_b.sql", "CREATE TABLE b (y INTEGRE) STRICT;"}});
    ASSERT_TRUE(parsed.ok());
    try {
        store::apply_pending_migrations(db, *parsed, "2023-11-14T22:13:20Z");
        FAIL() << "the broken migration was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("migration 0002_b.sql failed"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(store::recorded_schema_version(db), 0);
    EXPECT_FALSE(db.tableExists("a"));
}

class OpenTest : public ::testing::Test {
  protected:
    std::string path() const { return dir_.file("commerce.db"); }
    Result<std::unique_ptr<SqliteStore>> open(SqliteStore::OpenOptions options = {}) {
        return SqliteStore::open(path(), clock_, options);
    }

    TempDir dir_;
    FakeClock clock_;
};

TEST_F(OpenTest, AnEmptyFileGetsEveryMigrationRecorded) {
    auto store = open();
    ASSERT_TRUE(store.ok()) << store.error().message;
    const int latest = SqliteStore::latest_schema_version();
    auto version = (*store)->schema_version();
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(*version, latest);

    DbReader db(path());
    EXPECT_EQ(db.integer("SELECT count(*) FROM schema_version"), latest);
    EXPECT_EQ(db.text("SELECT name FROM schema_version WHERE version = 1"), "0001_initial.sql");
    EXPECT_EQ(db.text("SELECT applied_at FROM schema_version WHERE version = 1"),
              "2023-11-14T22:13:20Z");
    for (const char* table :
         {"accounts", "categories", "products", "stock_levels", "orders", "order_lines", "images",
          "sync_state", "sync_runs", "changes", "dead_letters"}) {
        EXPECT_EQ(db.integer(std::string("SELECT count(*) FROM sqlite_master WHERE type = "
                                         "'table' AND name = '") +
                             table + "'"),
                  1)
            << table;
    }
}

TEST_F(OpenTest, AnOlderDatabaseIsUpgradedAndKeepsItsRows) {
    {
        // A file as version 1 of commerce-syncd left it: only 0001 applied.
        SQLite::Database db(path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL) STRICT");
        db.exec(std::string(store::embedded_migrations().at(0).second));
        db.exec(
            "INSERT INTO schema_version VALUES (1, '0001_initial.sql', "
            "'2023-01-01T00:00:00Z')");
        db.exec(
            "INSERT INTO accounts (name, platform, created_at, updated_at) VALUES ('shop', "
            "'sunsky', '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z')");
        db.exec(
            "INSERT INTO sync_state VALUES ('shop', 'products', '{\"page\":7}', "
            "'2023-01-01T00:00:00Z')");
        EXPECT_FALSE(db.tableExists("stock_levels"));
    }
    auto store = open();
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ(*(*store)->schema_version(), SqliteStore::latest_schema_version());

    DbReader db(path());
    EXPECT_EQ(db.text("SELECT applied_at FROM schema_version WHERE version = 1"),
              "2023-01-01T00:00:00Z");
    EXPECT_EQ(db.text("SELECT applied_at FROM schema_version WHERE version = 2"),
              "2023-11-14T22:13:20Z");
    EXPECT_EQ(db.integer("SELECT count(*) FROM stock_levels"), 0);
    auto cursor = (*store)->load_cursor({"shop", "products"});
    ASSERT_TRUE(cursor.ok()) << cursor.error().message;
    ASSERT_TRUE(cursor->has_value());
    EXPECT_EQ((**cursor)["page"], 7);
}

// From page_counted_records on, the page writer keeps record_counts: the migration counts the
// rows already there, whatever the old triggers left (here: rows written by hand, uncounted).
TEST_F(OpenTest, ThePageCountedRecordsMigrationCountsTheRowsAlreadyThere) {
    const auto& migrations = store::embedded_migrations();
    const auto counted = std::find_if(migrations.begin(), migrations.end(), [](const auto& m) {
        return std::string(m.first).ends_with("_page_counted_records.sql");
    });
    ASSERT_NE(counted, migrations.end());
    {
        SQLite::Database db(path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL) STRICT");
        for (auto m = migrations.begin(); m != counted; ++m) {
            db.exec(std::string(m->second));
            db.exec("INSERT INTO schema_version VALUES (" +
                    std::to_string(m - migrations.begin() + 1) + ", '" + std::string(m->first) +
                    "', '2023-01-01T00:00:00Z')");
        }
        db.exec(
            "INSERT INTO accounts (name, platform, created_at, updated_at) VALUES ('shop', "
            "'sunsky', '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z')");
        for (int i = 0; i < 3; ++i) {
            db.exec(
                "INSERT INTO products (account, external_id, status, first_seen_at,"
                " last_seen_at, content_hash, raw_json) VALUES ('shop', 'P" +
                std::to_string(i) + "', 'active', '', '', '', '{}')");
        }
        db.exec("UPDATE record_counts SET records = 99");  // as if miscounted
    }
    auto store = open();
    ASSERT_TRUE(store.ok()) << store.error().message;
    DbReader db(path());
    EXPECT_EQ(db.integer("SELECT records FROM record_counts WHERE tbl = 'products'"), 3);
    EXPECT_EQ(db.integer("SELECT count(*) FROM record_counts WHERE records <> 0"), 1);
    EXPECT_EQ(db.integer("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                         " AND name = 'products_counted_insert'"),
              0);
}

TEST_F(OpenTest, WithoutMigrateAnOlderDatabaseWaitsForTheMigrateVerb) {
    {
        SQLite::Database db(path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL) STRICT");
        db.exec(std::string(store::embedded_migrations().at(0).second));
        db.exec(
            "INSERT INTO schema_version VALUES (1, '0001_initial.sql', "
            "'2023-01-01T00:00:00Z')");
    }
    SqliteStore::OpenOptions no_migrate;
    no_migrate.migrate = false;
    auto store = open(no_migrate);
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ(*(*store)->schema_version(), 1);

    auto refused = (*store)->register_account("shop", "sunsky");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, "database " + path() +
                                           " has schema version 1, this commerce-syncd needs " +
                                           std::to_string(SqliteStore::latest_schema_version()) +
                                           ": run `commerce-syncd migrate` first");

    auto migrated = (*store)->migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    EXPECT_EQ(*migrated, SqliteStore::latest_schema_version());
    EXPECT_TRUE((*store)->register_account("shop", "sunsky").ok());
}

TEST_F(OpenTest, ANewerDatabaseIsRefusedWithBothVersions) {
    ASSERT_TRUE(open().ok());
    // One past whatever this binary knows, so the test holds as migrations are added.
    const std::string future = std::to_string(SqliteStore::latest_schema_version() + 1);
    {
        SQLite::Database db(path(), SQLite::OPEN_READWRITE);
        db.exec("INSERT INTO schema_version VALUES (" + future + ", 'future.sql', " +
                "'2030-01-01T00:00:00Z')");
    }
    auto refused = open();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::storage);
    EXPECT_EQ(refused.error().message, "database " + path() + " has schema version " + future +
                                           ", this commerce-syncd knows up to " +
                                           std::to_string(SqliteStore::latest_schema_version()) +
                                           ": upgrade commerce-syncd");
}

TEST_F(OpenTest, ANewFileIsPrivateWhateverTheUmask) {
    const mode_t old_umask = ::umask(0);
    auto store = open();
    ::umask(old_umask);
    ASSERT_TRUE(store.ok()) << store.error().message;
    struct stat st {};
    ASSERT_EQ(::stat(path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((path() + "-wal").c_str(), &st), 0) << "WAL file missing";
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(OpenTest, JournalIsWalWithForeignKeysAndBusyTimeout) {
    auto store = open();
    ASSERT_TRUE(store.ok()) << store.error().message;
    DbReader db(path());
    // journal_mode is a property of the file, so a second connection sees it.
    EXPECT_EQ(db.text("PRAGMA journal_mode"), "wal");
    // foreign_keys is per connection: prove the store's connection enforces it.
    ASSERT_TRUE((*store)->register_account("shop", "sunsky").ok());
    auto orphan = (*store)->begin_run({"ghost", "products"}, UtcTime{});
    ASSERT_FALSE(orphan.ok());
    EXPECT_NE(orphan.error().message.find("account 'ghost' is not registered"), std::string::npos)
        << orphan.error().message;
}

TEST_F(OpenTest, AMissingDirectoryIsAConfigErrorNamingIt) {
    const std::string missing = dir_.file("no-such-dir") + "/commerce.db";
    auto refused = SqliteStore::open(missing, clock_, {});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::config);
    EXPECT_NE(
        refused.error().message.find("directory " + dir_.file("no-such-dir") + " does not exist"),
        std::string::npos)
        << refused.error().message;
    EXPECT_FALSE(std::filesystem::exists(dir_.file("no-such-dir")));
}

TEST_F(OpenTest, AFileThatIsNotADatabaseIsAStorageErrorNamingIt) {
    {
        std::ofstream junk(path());
        junk << "this is not an SQLite database, just some text long enough to have a header";
    }
    auto refused = open();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::storage);
    EXPECT_NE(refused.error().message.find(path()), std::string::npos);
    EXPECT_NE(refused.error().message.find("not a database"), std::string::npos)
        << refused.error().message;
}

TEST_F(OpenTest, ASecondDaemonOnTheSameDatabaseIsRefusedWithThePid) {
    SqliteStore::OpenOptions daemon;
    daemon.daemon_lock = true;
    auto first = open(daemon);
    ASSERT_TRUE(first.ok()) << first.error().message;

    auto second = open(daemon);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().kind, ErrorKind::config);
    EXPECT_NE(second.error().message.find("another commerce-syncd holds " + path() + ".lock (pid " +
                                          std::to_string(::getpid()) + ")"),
              std::string::npos)
        << second.error().message;

    // Readers (status, export) need no lock.
    SqliteStore::OpenOptions reader;
    reader.read_only = true;
    EXPECT_TRUE(open(reader).ok());

    first->reset();  // closes the first store, releasing its lock
    EXPECT_TRUE(open(daemon).ok());
}

TEST_F(OpenTest, ReadOnlyNeedsAnExistingFileAndNeverWrites) {
    SqliteStore::OpenOptions ro;
    ro.read_only = true;
    auto missing = open(ro);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::config);
    EXPECT_NE(missing.error().message.find("database " + path() + " does not exist"),
              std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(path()));

    {
        auto writer = open();
        ASSERT_TRUE(writer.ok());
        ASSERT_TRUE((*writer)->register_account("shop", "sunsky").ok());
    }
    auto store = open(ro);
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_TRUE((*store)->status().ok());
    auto refused = (*store)->register_account("other", "sunsky");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("read-only"), std::string::npos);
}

}  // namespace
}  // namespace csync::testing
