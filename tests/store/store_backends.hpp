#pragma once
// The store backends the conformance suite runs against, behind one small interface: the store
// itself, its "fail mid-page" test hook, and SQL reads of its tables (as a merchant's tool would
// read them) where the backend has tables. PostgreSQL needs a server: CSYNC_TEST_PG_DSN (set by
// scripts/test, which starts a throw-away one); each test gets its own schema, dropped after it.

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "fakes/fake_clock.hpp"
#include "fakes/memory_store.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store_test_support.hpp"

namespace csync::testing {

class StoreBackend {
  public:
    virtual ~StoreBackend() = default;
    virtual Store& store() = 0;
    // The next apply_page fails inside its transaction after `rows` records were written.
    virtual void fail_next_apply_after_rows(int rows) = 0;
    // SQL reads; false when the backend has no tables (the memory fake).
    virtual bool has_sql() const { return true; }
    virtual std::int64_t integer(const std::string& sql) = 0;
    // The first column of the first row as text ("<null>", "<no row>"); times as UTC ISO-8601.
    virtual std::string text(const std::string& sql) = 0;
    // How the store names its database in messages.
    virtual std::string where() const = 0;
    // The operator's side of the store (export, dead letters); nullptr when the backend has none.
    virtual OperationalStore* operational() { return nullptr; }
};

class SqliteBackend final : public StoreBackend {
  public:
    explicit SqliteBackend(FakeClock& clock) : path_(dir_.file("commerce.db")) {
        auto opened = SqliteStore::open(path_, clock, {});
        if (!opened.ok()) throw std::runtime_error(opened.error().message);
        store_ = std::move(opened.value());
    }
    Store& store() override { return *store_; }
    void fail_next_apply_after_rows(int rows) override {
        store_->fail_next_apply_after_rows_for_test(rows);
    }
    std::int64_t integer(const std::string& sql) override { return DbReader(path_).integer(sql); }
    std::string text(const std::string& sql) override { return DbReader(path_).text(sql); }
    std::string where() const override { return "database " + path_; }
    OperationalStore* operational() override { return store_.get(); }

  private:
    TempDir dir_;
    std::string path_;
    std::unique_ptr<SqliteStore> store_;
};

inline const char* test_pg_dsn() { return std::getenv("CSYNC_TEST_PG_DSN"); }

inline constexpr const char* kNoPgServer =
    "CSYNC_TEST_PG_DSN is not set: the PostgreSQL store tests need a server. Run scripts/test, "
    "or start one with `scripts/pg-test-server start DIR` and export the DSN it prints as "
    "CSYNC_TEST_PG_DSN";

// A schema name no other test (or parallel test process) uses.
inline std::string unique_pg_schema() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->name()) : "t";
    name = std::regex_replace(name, std::regex("[^A-Za-z0-9]"), "_");
    return "csync_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
           name.substr(0, 30);
}

class PostgresBackend final : public StoreBackend {
  public:
    explicit PostgresBackend(FakeClock& clock, PostgresStore::OpenOptions options = {})
        : dsn_(test_pg_dsn()), schema_(unique_pg_schema()) {
        options.schema = schema_;
        auto opened = PostgresStore::open(dsn_, clock, options);
        if (!opened.ok()) throw std::runtime_error(opened.error().message);
        store_ = std::move(opened.value());
        reader_ = std::make_unique<pqxx::connection>(dsn_);
        pqxx::nontransaction session(*reader_);
        session.exec("SET TIME ZONE 'UTC'");
        session.exec("SET search_path TO " + reader_->quote_name(schema_));
    }
    ~PostgresBackend() override {
        reader_.reset();
        if (store_) (void)store_->drop_schema_for_test();
    }
    Store& store() override { return *store_; }
    PostgresStore& postgres() { return *store_; }
    void fail_next_apply_after_rows(int rows) override {
        store_->fail_next_apply_after_rows_for_test(rows);
    }
    std::int64_t integer(const std::string& sql) override {
        pqxx::nontransaction tx(*reader_);
        const auto r = tx.exec(sql);
        if (r.empty()) throw std::runtime_error("no row for: " + sql);
        return r[0][0].as<std::int64_t>();
    }
    std::string text(const std::string& sql) override {
        pqxx::nontransaction tx(*reader_);
        const auto r = tx.exec(sql);
        if (r.empty()) return "<no row>";
        if (r[0][0].is_null()) return "<null>";
        // timestamptz text in UTC ("2023-11-14 22:13:20+00") shown as the SQLite schema's text.
        static const std::regex utc(R"(^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\+00$)");
        return std::regex_replace(std::string(r[0][0].c_str()), utc, "$1T$2Z");
    }
    std::string where() const override { return "PostgreSQL database"; }
    OperationalStore* operational() override { return store_.get(); }
    const std::string& dsn() const { return dsn_; }
    const std::string& schema() const { return schema_; }

  private:
    std::string dsn_;
    std::string schema_;
    std::unique_ptr<PostgresStore> store_;
    std::unique_ptr<pqxx::connection> reader_;
};

class MemoryBackend final : public StoreBackend {
  public:
    explicit MemoryBackend(FakeClock& clock) : store_(clock) {}
    Store& store() override { return store_; }
    // The fake fails a whole call (nothing applied), which is what a rolled-back page leaves.
    void fail_next_apply_after_rows(int rows) override {
        store_.fail_apply_at(store_.apply_calls() + 1,
                             Error::storage("injected failure after " + std::to_string(rows) +
                                            " rows (fail_next_apply_after_rows_for_test)"));
    }
    bool has_sql() const override { return false; }
    std::int64_t integer(const std::string& sql) override {
        throw std::logic_error("the memory fake has no SQL: " + sql);
    }
    std::string text(const std::string& sql) override {
        throw std::logic_error("the memory fake has no SQL: " + sql);
    }
    std::string where() const override { return "MemoryStore"; }

  private:
    MemoryStore store_;
};

}  // namespace csync::testing
