// The `items` pass state machine against the simulator in process (the adapter's real requests,
// the simulator's real paging and drift) and the in-memory store behind the real AdapterStore:
// a restart resumes mid-pass, deletions wait for a complete pass and a confirming call by id, a
// pass that saw fewer ids than listed pages again, and a fixed id list needs no discovery.

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/db_executor.hpp"
#include "core/executor_adapter_store.hpp"
#include "core/run_coro.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/memory_store.hpp"
#include "fakes/sim_http_client.hpp"
#include "qianmi/adapter.hpp"
#include "qianmi/items_stream.hpp"
#include "qianmi/simulator.hpp"

namespace csync::qianmi {
namespace {

using csync::testing::FakeClock;
using csync::testing::MemoryStore;
using csync::testing::run_coro;
using csync::testing::SimHttpClient;
using nlohmann::json;

constexpr const char* kAccount = "qm";

struct Rig {
    FakeClock clock;
    MemoryStore store{clock};
    DbExecutor db;
    ExecutorAdapterStore adapter_store{store, db, kAccount};
    std::unique_ptr<QianmiSimulator> sim;
    std::unique_ptr<SimHttpClient> http;
    AccountConfig account;
    StreamConfig stream;
    boost::asio::io_context io;
    PlatformAdapterPtr adapter;
    StreamSyncPtr sync;
    json cursor;  // as committed

    explicit Rig(std::size_t items, std::map<std::string, std::string> options = {}) {
        SimOptions o;
        o.seed = 5;
        o.products = items;
        o.credentials = {{"app_key", "app"}, {"app_secret", "app-secret-value"}};
        o.now = [this] { return clock.now(); };
        sim = std::make_unique<QianmiSimulator>(o);
        http = std::make_unique<SimHttpClient>(*sim);
        account.name = kAccount;
        account.platform = "qianmi";
        account.base_url = "http://sim/api";
        account.options["token_url"] = "http://sim/token";
        account.credentials = {{"app_key", "app"},
                               {"app_secret", "app-secret-value"},
                               {"access_token", "sim-access-token"},
                               {"refresh_token", "sim-refresh-token"}};
        stream.name = "items";
        stream.page_size = 50;
        stream.options = std::move(options);
        EXPECT_TRUE(store.register_account(kAccount, "qianmi").ok());
        restart();
    }

    // A new process: adapter and stream built afresh from the stored state.
    void restart() {
        sync.reset();
        adapter = make_adapter(AdapterDeps{account, *http, clock, TimeZone::utc(),
                                           *store.load_account_state(kAccount), &adapter_store});
        sync = adapter->make_stream(stream);
    }

    // Fetches and commits one page, as the stream runner does; returns it.
    Page step() {
        auto page = run_coro(io, sync->fetch_page(cursor));
        EXPECT_TRUE(page.ok()) << page.error().describe();
        if (!page.ok()) return Page{};
        EXPECT_TRUE(
            store.apply_page({kAccount, "items"}, 0, page->records, page->next_cursor).ok());
        cursor = page->next_cursor;
        return std::move(page.value());
    }
    // Pages until the cycle is done; the pages, in order.
    std::vector<Page> pass() {
        std::vector<Page> pages;
        for (int guard = 0; guard < 2000; ++guard) {
            pages.push_back(step());
            if (pages.back().cycle_done || pages.back().next_cursor.is_null()) return pages;
        }
        ADD_FAILURE() << "the pass did not end";
        return pages;
    }
    int calls(std::string_view method) const {
        auto it = sim->calls().find(std::string(method));
        return it == sim->calls().end() ? 0 : static_cast<int>(it->second);
    }
    // Live ids in the store's items scope.
    std::set<std::string> stored_live() const {
        std::set<std::string> out;
        for (const Product& p : store.products(kAccount)) {
            if (p.scope == kItemsScope && p.status != ProductStatus::deleted) {
                out.insert(p.external_id);
            }
        }
        return out;
    }
    std::set<std::string> truth() const {
        auto ids = sim->item_ids();
        return {ids.begin(), ids.end()};
    }
};

TEST(QianmiItemsStream, APassStoresEveryItemWithTheListingsModifiedTime) {
    Rig rig(260);
    rig.pass();
    EXPECT_EQ(rig.stored_live(), rig.truth());
    for (const Product& p : rig.store.products(kAccount)) {
        EXPECT_TRUE(p.source_modified_at.has_value()) << p.external_id;
        EXPECT_EQ(p.currency, "CNY");
        EXPECT_FALSE(p.platform_status.empty());
    }
    // Once the clock is well past every item's modification (the catalogue's times lie months
    // after the rig's clock), a pass with nothing changed fetches no details at all.
    rig.clock.advance(std::chrono::hours{24 * 200});
    rig.pass();
    rig.clock.advance(std::chrono::seconds{2});
    const int batches = rig.calls(kItemsListGet);
    rig.pass();
    EXPECT_EQ(rig.calls(kItemsListGet), batches);
}

// `modified` has whole seconds: an edit made in the second the pass read the item leaves it
// unchanged, and only reading recently modified items again catches the edit.
TEST(QianmiItemsStream, AnEditStampedInTheSecondOfTheReadIsReadAgainByTheNextPass) {
    Rig rig(60);
    rig.pass();
    const std::string id = *rig.truth().begin();
    ASSERT_TRUE(rig.sim->touch_item(id));  // the same clock second as the read
    std::string truth_price;
    std::istringstream lines(rig.sim->truth_ndjson());
    for (std::string line; std::getline(lines, line);) {
        const auto record = nlohmann::json::parse(line);
        if (record["num_iid"] == id) truth_price = record["price"].get<std::string>();
    }
    rig.clock.advance(std::chrono::seconds{2});
    rig.pass();
    std::string stored_price;
    for (const Product& p : rig.store.products(kAccount)) {
        if (p.external_id == id && p.price) stored_price = p.price->text();
    }
    EXPECT_EQ(stored_price, Decimal::parse(truth_price)->text());
}

TEST(QianmiItemsStream, ARestartResumesMidPassFromTheCommittedPage) {
    Rig rig(400, {{"order_by", "cid"}});
    rig.step();
    rig.step();
    rig.step();
    const json resumed_from = rig.cursor;
    ASSERT_EQ(resumed_from["phase"], "list");
    const std::int64_t page_no = resumed_from["page_no"].get<std::int64_t>();
    ASSERT_GT(page_no, 0);
    const auto pass = resumed_from["pass"];
    rig.restart();  // the process died after the third commit
    const std::size_t before = rig.http->requests.size();
    rig.step();
    // The first call after the restart lists the committed page, of the same pass.
    ASSERT_GT(rig.http->requests.size(), before);
    EXPECT_NE(rig.http->requests[before].body.find("page_no=" + std::to_string(page_no)),
              std::string::npos)
        << rig.http->requests[before].body;
    EXPECT_EQ(rig.cursor["pass"], pass);
    rig.pass();
    EXPECT_EQ(rig.stored_live(), rig.truth());
}

TEST(QianmiItemsStream, DeletionsWaitForACompletePassAndAConfirmingCallById) {
    Rig rig(300);
    ASSERT_TRUE(rig.sim->set_reading("ties", "stable"));
    // Past the catalogue's times, which lie months after the rig's clock: items modified near
    // their last read are read again, and the second pass must find unchanged ones.
    rig.clock.advance(std::chrono::hours{24 * 200});
    rig.pass();
    rig.clock.advance(std::chrono::seconds{2});
    const std::vector<std::string> ids = rig.sim->item_ids();
    const std::string gone = ids[ids.size() - 1];

    // Pass two: the first page is read, then an item already seen is deleted (everything after
    // it shifts back one place: one item slips past the pass), and one more is deleted.
    std::vector<Page> pages{rig.step()};
    const std::string seen_then_deleted = pages.front().records.seen_product_ids.front();
    ASSERT_TRUE(rig.sim->delete_item(seen_then_deleted));
    ASSERT_TRUE(rig.sim->delete_item(gone));
    for (int guard = 0; guard < 500 && !pages.back().cycle_done; ++guard) {
        const bool listing = rig.cursor["phase"] == "list";
        pages.push_back(rig.step());
        if (listing && rig.cursor["phase"] == "list") {
            EXPECT_TRUE(pages.back().records.deleted_product_ids.empty())
                << "a tombstone before the pass completed";
        }
    }
    ASSERT_TRUE(pages.back().cycle_done);
    EXPECT_EQ(rig.store.product(kAccount, gone)->status, ProductStatus::deleted);
    // Each tombstone came from an items.list.get that asked for the id.
    int confirmations = 0;
    for (const auto& request : rig.http->requests) {
        if (request.url.find("items.list.get") != std::string::npos &&
            request.body.find(gone) != std::string::npos) {
            ++confirmations;
        }
    }
    EXPECT_GE(confirmations, 1);
    EXPECT_EQ(rig.store.tombstones_written(), 1);
    // Seen by this pass before it went: the next pass finds it missing. Nothing that merely
    // moved was deleted.
    EXPECT_NE(rig.store.product(kAccount, seen_then_deleted)->status, ProductStatus::deleted);
    rig.clock.advance(std::chrono::seconds{2});
    rig.pass();
    EXPECT_EQ(rig.store.product(kAccount, seen_then_deleted)->status, ProductStatus::deleted);
    EXPECT_EQ(rig.stored_live(), rig.truth());
    EXPECT_EQ(rig.store.tombstones_written(), 2);
}

TEST(QianmiItemsStream, APassThatSawFewerIdsThanListedPagesAgain) {
    // Ordered by stock with stable ties: an edit that lowers an item's stock moves it to a page
    // the pass has already read, so the pass never lists it (it counts fewer ids than listed).
    Rig rig(300, {{"order_by", "num:asc"}});
    ASSERT_TRUE(rig.sim->set_reading("ties", "stable"));
    rig.clock.advance(std::chrono::hours{24 * 200});  // past the catalogue's times
    rig.pass();
    rig.clock.advance(std::chrono::seconds{2});
    const int listings_before = rig.calls(kItemsAllList);
    rig.step();
    rig.step();
    const std::vector<std::string> ids = rig.sim->item_ids();
    for (std::size_t i = 0; i < ids.size(); i += 7) rig.sim->touch_item(ids[i]);
    rig.pass();
    EXPECT_GT(rig.calls(kItemsAllList) - listings_before, 6);  // 6 pages, then again
    // Every edit is stored: none was missed.
    for (const std::string& id : rig.truth()) {
        auto stored = rig.store.product(kAccount, id);
        ASSERT_TRUE(stored.has_value()) << id;
    }
    // Items edited near their last read are read once more by a pass well after the edits;
    // after that, nothing is left to fetch: all were current.
    rig.clock.advance(std::chrono::minutes{10});
    rig.pass();
    rig.clock.advance(std::chrono::seconds{2});
    const int batches = rig.calls(kItemsListGet);
    rig.pass();
    EXPECT_EQ(rig.calls(kItemsListGet), batches);
}

TEST(QianmiItemsStream, AFixedIdListIsFetchedInBatchesWithoutDiscovery) {
    Rig rig(120);
    const std::vector<std::string> ids = rig.sim->item_ids();
    std::string list;
    for (std::size_t i = 0; i < 60; ++i) list += (i ? ", " : "") + ids[i];
    list += ", P-NEVER";
    rig.stream.options["num_iids"] = list;
    rig.restart();
    const auto pages = rig.pass();
    EXPECT_EQ(rig.calls(kItemsAllList), 0);
    EXPECT_EQ(rig.calls(kItemsListGet), 2);  // 61 ids: 50 + 11
    EXPECT_EQ(rig.stored_live().size(), 60u);
    EXPECT_EQ(pages.size(), 2u);
}

TEST(QianmiItemsStream, SkusBecomeTheirOwnRowsUnderTheirItemAndGoWithIt) {
    Rig rig(40, {{"skus", "true"}});
    rig.pass();
    std::map<std::string, std::vector<std::string>> skus_of;
    for (const Product& p : rig.store.products(kAccount)) {
        if (p.scope == kItemsScope) continue;
        EXPECT_EQ(p.scope, sku_scope(p.parent_external_id));
        EXPECT_TRUE(rig.store.product(kAccount, p.parent_external_id).has_value());
        skus_of[p.parent_external_id].push_back(p.external_id);
    }
    ASSERT_FALSE(skus_of.empty());
    EXPECT_EQ(rig.calls(kItemGet), 40);

    // The item goes: after the next complete pass, it and every one of its SKUs are deleted.
    const std::string item = skus_of.begin()->first;
    ASSERT_TRUE(rig.sim->delete_item(item));
    rig.clock.advance(std::chrono::seconds{2});
    rig.pass();
    EXPECT_EQ(rig.store.product(kAccount, item)->status, ProductStatus::deleted);
    for (const std::string& sku : skus_of.begin()->second) {
        EXPECT_EQ(rig.store.product(kAccount, sku)->status, ProductStatus::deleted) << sku;
    }
    // The other items' SKUs stay.
    const auto& other = std::next(skus_of.begin())->second;
    EXPECT_NE(rig.store.product(kAccount, other.front())->status, ProductStatus::deleted);
}

namespace readings {

// Every reading of the notes' open questions the simulator models, one at a time: under each,
// a pass with a token revoked half-way stores exactly the shop, and after edits, additions and
// deletions the next pass converges again. The default reading is the first value of each.
struct Reading {
    std::string name;
    std::string value;
};

std::vector<Reading> all_readings() {
    return {{"response_key", "named"}, {"response_key", "full"},     {"response_key", "other"},
            {"error_shape", "rop"},    {"error_shape", "wrapped"},   {"sub_errors", "array"},
            {"sub_errors", "wrapped"}, {"token_code", "20"},         {"token_code", "21"},
            {"timestamp_code", "33"},  {"timestamp_code", "38"},     {"millis_timestamp", "0"},
            {"millis_timestamp", "1"}, {"scalars", "mixed"},         {"scalars", "string"},
            {"scalars", "number"},     {"unknown_fields", "ignore"}, {"unknown_fields", "reject"},
            {"lone_object", "0"},      {"lone_object", "1"},         {"omit_empty_lists", "0"},
            {"omit_empty_lists", "1"}, {"oauth_form", "data"},       {"oauth_form", "status"},
            {"quota_code", "34"},      {"quota_code", "37"},         {"ties", "shuffle"},
            {"ties", "stable"}};
}

// Every request a page sends counts, the token refresh's included; a page that fails part-way
// reports the calls it had made.
TEST(QianmiItemsStream, EveryRequestSentIsCountedTheTokenRefreshIncluded) {
    Rig rig(120);
    rig.step();
    rig.sim->revoke_access_token();  // refused, refreshed, sent again: three requests
    int before = rig.http->calls();
    Page page = rig.step();
    EXPECT_EQ(rig.sim->refreshes(), 1);
    EXPECT_EQ(page.requests, rig.http->calls() - before);
    EXPECT_GE(page.requests, 3);

    // Refused, refreshed, and the call sent again fails: the failure reports all three.
    rig.sim->revoke_access_token();
    before = rig.http->calls();
    rig.http->fail_at(before + 3, Error::transient("connection reset"));
    auto failed = run_coro(rig.io, rig.sync->fetch_page(rig.cursor));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(rig.sim->refreshes(), 2);
    EXPECT_EQ(failed.error().requests, 3);
}

class QianmiEveryReading : public ::testing::TestWithParam<Reading> {};

TEST_P(QianmiEveryReading, APassConvergesThroughATokenRevokedMidPassAndLaterChanges) {
    Rig rig(240);
    ASSERT_TRUE(rig.sim->set_reading(GetParam().name, GetParam().value));
    rig.step();
    rig.sim->revoke_access_token();  // the next call is refused and the token refreshed once
    rig.pass();
    EXPECT_EQ(rig.stored_live(), rig.truth());
    EXPECT_EQ(rig.sim->refreshes(), 1);

    rig.clock.advance(std::chrono::seconds{2});
    rig.sim->mutate(30);
    rig.clock.advance(std::chrono::seconds{2});
    rig.pass();
    EXPECT_EQ(rig.stored_live(), rig.truth());
}

INSTANTIATE_TEST_SUITE_P(Readings, QianmiEveryReading, ::testing::ValuesIn(all_readings()),
                         [](const ::testing::TestParamInfo<Reading>& p) {
                             std::string name = p.param.name + "_" + p.param.value;
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name;
                         });

}  // namespace readings

}  // namespace
}  // namespace csync::qianmi
