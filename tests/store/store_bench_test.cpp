// A figure, not a gate: applies 10,000 products in pages of 100 (each page one transaction with
// its cursor, as a sync does) and prints the rate. Speed targets are read from this output and
// from bench/, never asserted, so a loaded CI machine cannot make the suite flaky.

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

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
