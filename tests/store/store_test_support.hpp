#pragma once
// Shared by the store tests: a temporary directory per test, record builders, and read access to
// the database file through a second connection (as a merchant's tool would read it).

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "csync/domain/records.hpp"
#include "fakes/fake_clock.hpp"
#include "store/sqlite_store.hpp"

namespace csync::testing {

// A fresh directory under the system temp dir, removed with everything in it at destruction.
class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "csync-store-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

inline Decimal dec(const std::string& text) {
    auto d = Decimal::parse(text);
    if (!d) {
        throw std::invalid_argument("not a decimal in a test: " + text);
    }
    return *d;
}

inline Product make_product(const std::string& id, const std::string& price = "9.99") {
    Product p;
    p.external_id = id;
    p.sku = "SKU-" + id;
    p.title = "Product " + id;
    p.brand = "Acme";
    p.category_external_id = "C1";
    p.price = dec(price);
    p.currency = "USD";
    p.stock = 5;
    p.status = ProductStatus::active;
    p.source_modified_at = UtcTime{std::chrono::seconds{1'695'434'462}};  // 2023-09-23T02:01:02Z
    p.raw_json = R"({"itemNo":")" + id + R"(","price":")" + price + R"("})";
    return p;
}

inline StockLevel make_stock(const std::string& rec_id, const std::string& sku,
                             const std::string& quantity = "12.5") {
    StockLevel s;
    s.external_id = rec_id;
    s.sku = sku;
    s.quantity = dec(quantity);
    s.change_count = 1;
    s.raw_json = R"({"rec_id":")" + rec_id + R"("})";
    return s;
}

// Reads the file through its own connection, like any external tool.
class DbReader {
  public:
    explicit DbReader(const std::string& path) : db_(path, SQLite::OPEN_READONLY) {}

    std::int64_t integer(const std::string& sql) {
        SQLite::Statement q(db_, sql);
        if (!q.executeStep()) {
            throw std::runtime_error("no row for: " + sql);
        }
        return q.getColumn(0).getInt64();
    }
    // The first column of the first row; "<null>" for SQL NULL, "<no row>" when there is none.
    std::string text(const std::string& sql) {
        SQLite::Statement q(db_, sql);
        if (!q.executeStep()) {
            return "<no row>";
        }
        return q.getColumn(0).isNull() ? "<null>" : q.getColumn(0).getString();
    }

  private:
    SQLite::Database db_;
};

// An opened store over a fresh file, its clock and its directory.
class StoreFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = dir_.file("commerce.db");
        store_ = open_ok(path_, {});
        ASSERT_TRUE(store_->register_account("shop", "sunsky").ok());
    }

    std::unique_ptr<SqliteStore> open_ok(const std::string& path,
                                         SqliteStore::OpenOptions options) {
        auto opened = SqliteStore::open(path, clock_, options);
        if (!opened.ok()) {
            ADD_FAILURE() << opened.error().message;
            return nullptr;
        }
        return std::move(opened.value());
    }

    ApplyStats apply(const PageRecords& page, nlohmann::json cursor = {{"page", 1}},
                     const std::string& stream = "products", std::int64_t run_id = 0) {
        auto applied = store_->apply_page({"shop", stream}, run_id, page, cursor);
        if (!applied.ok()) {
            ADD_FAILURE() << applied.error().message;
            return {};
        }
        return *applied;
    }

    DbReader reader() { return DbReader(path_); }

    TempDir dir_;
    FakeClock clock_;
    std::string path_;
    std::unique_ptr<SqliteStore> store_;
};

}  // namespace csync::testing
