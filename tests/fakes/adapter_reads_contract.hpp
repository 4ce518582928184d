#pragma once
// The contract of the store's reads for adapters and of the account state, run against the
// SQLite store and the in-memory one alike (so adapter tests on the fake mean the real thing):
// known_versions and unseen_since see only their scope and account, seen ids only move
// last_seen_at, tombstones drop out of unseen_since, account state merges names.

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "csync/ports/store.hpp"
#include "fakes/fake_clock.hpp"

namespace csync::testing {

inline Product scoped_product(const std::string& id, const std::string& scope,
                              std::int64_t modified_unix) {
    Product p;
    p.external_id = id;
    p.title = "item " + id;
    p.scope = scope;
    p.platform_status = "d2c=onsale;d2p=instock";
    p.source_modified_at = UtcTime{std::chrono::seconds{modified_unix}};
    p.raw_json = R"({"num_iid":")" + id + R"("})";
    return p;
}

// `store` has the account "shop" registered; `clock` stamps its rows.
inline void check_adapter_reads_contract(Store& store, FakeClock& clock) {
    ASSERT_TRUE(store.register_account("other", "qianmi").ok());
    const StreamKey key{"shop", "items"};
    PageRecords first;
    first.products = {scoped_product("a", "items", 100), scoped_product("b", "items", 200),
                      scoped_product("c", "items", 300), scoped_product("s1", "skus", 400)};
    ASSERT_TRUE(store.apply_page(key, 0, first, nlohmann::json{{"page", 1}}).ok());
    PageRecords elsewhere;
    elsewhere.products = {scoped_product("a", "items", 999)};
    ASSERT_TRUE(store.apply_page({"other", "items"}, 0, elsewhere, nlohmann::json{}).ok());

    auto known = store.known_versions("shop", "product", "items", {"a", "b", "s1", "zz"});
    ASSERT_TRUE(known.ok()) << known.error().describe();
    EXPECT_EQ(known->size(), 2u);  // s1 is another scope's row, zz unknown
    ASSERT_TRUE(known->count("a"));
    EXPECT_EQ(known->at("a").source_modified_at, UtcTime{std::chrono::seconds{100}});
    EXPECT_FALSE(known->at("a").content_hash.empty());
    EXPECT_FALSE(known->at("a").deleted);
    EXPECT_EQ(known->at("a").last_seen_at, std::chrono::floor<std::chrono::seconds>(clock.now()));

    // A pass starts later: it sees a (unchanged: only touched), then b changed; c is unseen.
    clock.advance(std::chrono::seconds{10});
    const UtcTime pass_start = std::chrono::floor<std::chrono::seconds>(clock.now());
    PageRecords page;
    page.seen_product_ids = {"a", "never-stored"};
    page.products = {scoped_product("b", "items", 250)};
    auto applied = store.apply_page(key, 0, page, nlohmann::json{{"page", 2}});
    ASSERT_TRUE(applied.ok());
    EXPECT_EQ(applied->unchanged, 1);  // the unknown id changes nothing
    EXPECT_EQ(applied->updated, 1);

    auto unseen = store.unseen_since("shop", "product", "items", pass_start, 50);
    ASSERT_TRUE(unseen.ok()) << unseen.error().describe();
    EXPECT_EQ(*unseen, std::vector<std::string>{"c"});  // never s1 (skus), never other's a
    auto unseen_skus = store.unseen_since("shop", "product", "skus", pass_start, 50);
    EXPECT_EQ(*unseen_skus, std::vector<std::string>{"s1"});
    EXPECT_TRUE(store.unseen_since("shop", "product", "items", pass_start, 0)->empty());

    // Confirmed gone: the tombstone takes it out of the candidates and known_versions says so.
    PageRecords gone;
    gone.deleted_product_ids = {"c"};
    ASSERT_EQ(store.apply_page(key, 0, gone, nlohmann::json{{"page", 3}})->deleted, 1);
    EXPECT_TRUE(store.unseen_since("shop", "product", "items", pass_start, 50)->empty());
    EXPECT_TRUE(store.known_versions("shop", "product", "items", {"c"})->at("c").deleted);
    // A tombstone is not touched back to life by a listing: the adapter fetches it instead.
    PageRecords touch_deleted;
    touch_deleted.seen_product_ids = {"c"};
    EXPECT_EQ(store.apply_page(key, 0, touch_deleted, nlohmann::json{})->unchanged, 0);

    EXPECT_EQ(store.known_versions("shop", "order", "", {"a"}).error().kind, ErrorKind::config);

    // Account state: names merge, accounts stay apart, an unknown account is refused.
    EXPECT_TRUE(store.load_account_state("shop")->empty());
    ASSERT_TRUE(
        store.save_account_state("shop", {{"token.access", "A1"}, {"token.refresh", "R1"}}).ok());
    ASSERT_TRUE(store.save_account_state("shop", {{"token.access", "A2"}}).ok());
    const AccountState state = *store.load_account_state("shop");
    EXPECT_EQ(state, (AccountState{{"token.access", "A2"}, {"token.refresh", "R1"}}));
    EXPECT_TRUE(store.load_account_state("other")->empty());
    EXPECT_FALSE(store.save_account_state("nobody", {{"x", "y"}}).ok());
}

}  // namespace csync::testing
