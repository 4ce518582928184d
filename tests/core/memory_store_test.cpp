// The in-memory store other tests rely on: its apply_page must behave like one transaction and
// count like the real store.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fakes/adapter_reads_contract.hpp"
#include "fakes/memory_store.hpp"

namespace csync {
namespace {

using csync::testing::MemoryStore;
using nlohmann::json;

Product product(const std::string& id, const std::string& title) {
    Product p;
    p.external_id = id;
    p.title = title;
    return p;
}

UtcTime at(std::int64_t unix_seconds) { return UtcTime{std::chrono::seconds{unix_seconds}}; }

TEST(MemoryStore, ApplyPageCountsInsertedUpdatedUnchanged) {
    MemoryStore store;
    const StreamKey key{"acme", "products"};
    PageRecords first;
    first.products = {product("a", "A"), product("b", "B")};
    first.categories.push_back(Category{.external_id = "c1", .name = "Phones"});
    first.stock_levels.push_back(StockLevel{.external_id = "s1", .quantity = *Decimal::parse("3")});
    auto r1 = store.apply_page(key, 1, first, json{{"page", 1}});
    ASSERT_TRUE(r1.ok());
    EXPECT_EQ(r1->inserted, 4);

    PageRecords second;
    second.products = {product("a", "A"), product("b", "B2")};
    second.deleted_product_ids = {"a", "missing"};
    second.dead_letters.push_back(DeadLetter{"itemNo=x", "{}", "bad price"});
    auto r2 = store.apply_page(key, 1, second, json{{"page", 2}});
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2->inserted, 0);
    EXPECT_EQ(r2->unchanged, 1);
    EXPECT_EQ(r2->updated, 1);
    EXPECT_EQ(r2->deleted, 1);
    EXPECT_EQ(r2->dead_lettered, 1);
    EXPECT_EQ(store.product("acme", "b")->title, "B2");
    EXPECT_EQ(store.product("acme", "a")->status, ProductStatus::deleted);
    EXPECT_EQ(store.cursor(key), (json{{"page", 2}}));
    EXPECT_EQ(store.category("acme", "c1")->name, "Phones");
    EXPECT_EQ(store.stock_level("acme", "s1")->quantity.text(), "3");
    EXPECT_FALSE(store.product("other-account", "a").has_value()) << "keyed by account";
}

TEST(MemoryStore, FailedApplyChangesNothing) {
    MemoryStore store;
    const StreamKey key{"acme", "products"};
    PageRecords page;
    page.products = {product("a", "A")};
    ASSERT_TRUE(store.apply_page(key, 1, page, json{{"page", 1}}).ok());

    store.fail_apply_at(2);
    PageRecords bad;
    bad.products = {product("a", "changed"), product("new", "N")};
    bad.deleted_product_ids = {"a"};
    auto r = store.apply_page(key, 1, bad, json{{"page", 2}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::storage);
    EXPECT_EQ(store.product("acme", "a")->title, "A");
    EXPECT_EQ(store.product("acme", "a")->status, ProductStatus::active);
    EXPECT_FALSE(store.product("acme", "new").has_value());
    EXPECT_EQ(store.cursor(key), (json{{"page", 1}}));
    EXPECT_EQ(store.apply_calls(), 2);
    EXPECT_EQ(store.applied_pages(), 1);

    // Only that call fails.
    EXPECT_TRUE(store.apply_page(key, 1, bad, json{{"page", 2}}).ok());
    EXPECT_EQ(store.cursor(key), (json{{"page", 2}}));
}

TEST(MemoryStore, RunsCursorsAndStatus) {
    MemoryStore store;
    const StreamKey key{"acme", "products"};
    ASSERT_TRUE(store.register_account("acme", "sunsky").ok());
    EXPECT_FALSE(store.set_account_state("nobody", "parked", "x").ok());

    auto run1 = store.begin_run(key, at(1000));
    ASSERT_TRUE(run1.ok());
    PageRecords page;
    page.products = {product("a", "A"), product("b", "B")};
    ASSERT_TRUE(store.apply_page(key, *run1, page, json{{"page", 1}}).ok());
    RunSummary ok_summary;
    ok_summary.pages = 1;
    ok_summary.finished_at = at(1010);
    ASSERT_TRUE(store.finish_run(*run1, ok_summary).ok());

    auto run2 = store.begin_run(key, at(2000));
    ASSERT_TRUE(run2.ok());
    EXPECT_EQ(*run2, *run1 + 1);
    RunSummary failed;
    failed.error = "auth: signature rejected";
    failed.finished_at = at(2001);
    ASSERT_TRUE(store.finish_run(*run2, failed).ok());
    EXPECT_FALSE(store.finish_run(99, failed).ok());
    ASSERT_TRUE(store.set_account_state("acme", "parked", "auth: signature rejected").ok());

    auto status = store.status();
    ASSERT_TRUE(status.ok());
    ASSERT_EQ(status->size(), 1u);
    const StreamStatus& s = status->front();
    EXPECT_EQ(s.account, "acme");
    EXPECT_EQ(s.platform, "sunsky");
    EXPECT_EQ(s.stream, "products");
    EXPECT_EQ(s.account_state, "parked");
    EXPECT_EQ(s.account_state_reason, "auth: signature rejected");
    EXPECT_EQ(s.cursor, (json{{"page", 1}}));
    EXPECT_EQ(s.cursor_updated_at, at(1000));
    EXPECT_EQ(s.last_run_started_at, at(2000));
    EXPECT_EQ(s.last_success_at, at(1010));
    EXPECT_EQ(s.last_error, "auth: signature rejected");
    EXPECT_EQ(s.last_error_at, at(2001));
    EXPECT_EQ(s.records, 2);

    ASSERT_TRUE(store.reset_cursor(key).ok());
    auto cursor = store.load_cursor(key);
    ASSERT_TRUE(cursor.ok());
    EXPECT_FALSE(cursor->has_value());
}

TEST(MemoryStore, InjectedLoadAndBeginFailures) {
    MemoryStore store;
    const StreamKey key{"acme", "products"};
    store.seed_cursor(key, json{{"since", "x"}});
    store.fail_load_cursor(Error::storage("locked"));
    store.fail_begin_run(Error::storage("full"));
    EXPECT_FALSE(store.load_cursor(key).ok());
    EXPECT_FALSE(store.begin_run(key, at(1)).ok());
    store.fail_load_cursor(std::nullopt);
    store.fail_begin_run(std::nullopt);
    auto c = store.load_cursor(key);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(**c, (json{{"since", "x"}}));
    EXPECT_TRUE(store.begin_run(key, at(1)).ok());
}

TEST(MemoryStore, ReadsForAdaptersAndAccountStateKeepTheStoreContract) {
    csync::testing::FakeClock clock;
    MemoryStore store(clock);
    ASSERT_TRUE(store.register_account("shop", "qianmi").ok());
    csync::testing::check_adapter_reads_contract(store, clock);
}

}  // namespace
}  // namespace csync
