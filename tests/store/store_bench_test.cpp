// A figure, not a gate: applies 10,000 products in pages of 100 (each page one transaction with
// its cursor, as a sync does) and prints the rate. Speed targets are read from this output and
// from bench/, never asserted, so a loaded CI machine cannot make the suite flaky.

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include <SQLiteCpp/Transaction.h>

#include "store_test_support.hpp"

namespace csync::testing {
namespace {

constexpr std::int64_t kProducts = 10'000;
constexpr int kPageSize = 100;

class StoreBench : public StoreFixture {};

TEST_F(StoreBench, ApplyTenThousandProducts) {
    std::vector<PageRecords> pages(kProducts / kPageSize);
    for (int i = 0; i < static_cast<int>(kProducts); ++i) {
        Product p = make_product("P" + std::to_string(i), std::to_string(i % 500) + ".99");
        p.raw_json = R"({"itemNo":"P)" + std::to_string(i) +
                     R"(","name":"A product with a realistic description","price":")" +
                     std::to_string(i % 500) + R"(.99","modelLabel":"M-1","stock":5})";
        pages[static_cast<std::size_t>(i / kPageSize)].products.push_back(std::move(p));
    }

    auto run_pass = [&](const char* label, auto expect) {
        const auto start = std::chrono::steady_clock::now();
        ApplyStats total;
        for (std::size_t i = 0; i < pages.size(); ++i) {
            auto applied = store_->apply_page({"shop", "products"}, 0, pages[i],
                                              {{"page", static_cast<int>(i) + 1}});
            ASSERT_TRUE(applied.ok()) << applied.error().message;
            total += *applied;
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        expect(total);
        std::cout << "[ bench    ] " << label << ": " << kProducts << " products in "
                  << pages.size() << " pages of " << kPageSize << ", " << seconds << " s, "
                  << static_cast<long long>(static_cast<double>(kProducts) / seconds) << " rows/s"
                  << std::endl;
    };
    run_pass("insert", [](const ApplyStats& s) { EXPECT_EQ(s.inserted, kProducts); });
    run_pass("unchanged", [](const ApplyStats& s) { EXPECT_EQ(s.unchanged, kProducts); });
    EXPECT_EQ(reader().integer("SELECT count(*) FROM products"), kProducts);
}

}  // namespace
}  // namespace csync::testing

namespace csync::testing {
namespace {

class StatusCost : public StoreFixture {};

// A figure, not a gate: the status read (what /status, /metrics and /readyz run on every
// request) with 200,000 runs and 50,000 products in the database, against the same read with a
// handful. Its cost must not grow with history.
TEST_F(StatusCost, StatusReadWith200kRunsIsAsCheapAsWithAFew) {
    auto time_status = [&](int reads) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < reads; ++i) {
            auto s = store_->status();
            EXPECT_TRUE(s.ok());
        }
        return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                   .count() /
               reads;
    };
    for (int i = 0; i < 3; ++i) {
        auto run = store_->begin_run({"shop", "products"}, UtcTime{std::chrono::seconds{i}});
        ASSERT_TRUE(run.ok());
    }
    const double few = time_status(200);
    {
        SQLite::Database writer(path_, SQLite::OPEN_READWRITE);
        SQLite::Transaction tx(writer);
        SQLite::Statement run(writer,
                              "INSERT INTO sync_runs (account, stream, started_at, finished_at,"
                              " error) VALUES ('shop', 'products', '2024-01-01T00:00:00Z',"
                              " '2024-01-01T00:00:10Z', NULL)");
        for (int i = 0; i < 200'000; ++i) {
            run.exec();
            run.reset();
        }
        tx.commit();
    }
    // Products through the page writer, which keeps record_counts.
    for (int page = 0; page < 50; ++page) {
        PageRecords records;
        for (int i = 0; i < 1'000; ++i) {
            records.products.push_back(
                make_product("P" + std::to_string(page * 1'000 + i), "1.00"));
        }
        auto applied = store_->apply_page({"shop", "products"}, 0, records, {{"page", page}});
        ASSERT_TRUE(applied.ok()) << applied.error().message;
    }
    const double many = time_status(200);
    auto s = store_->status();
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(s->size(), 1u);
    EXPECT_EQ((*s)[0].records, 50'000);
    std::cout << "status read: " << few << " us with 3 runs, " << many
              << " us with 200,003 runs and 50,000 products\n";
}

}  // namespace
}  // namespace csync::testing
