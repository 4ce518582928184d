#pragma once
// The Wshoto adapter against its simulator in process (the adapter's real requests, the
// simulator's real token and paging rules) and the in-memory store behind the real AdapterStore.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/db_executor.hpp"
#include "core/executor_adapter_store.hpp"
#include "core/run_coro.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/memory_store.hpp"
#include "fakes/sim_http_client.hpp"
#include "wshoto/adapter.hpp"
#include "wshoto/simulator.hpp"
#include "wshoto/streams.hpp"

namespace csync::wshoto::test {

using csync::testing::FakeClock;
using csync::testing::MemoryStore;
using csync::testing::run_coro;
using csync::testing::SimHttpClient;
using nlohmann::json;

inline constexpr const char* kAccount = "ws";

struct Rig {
    FakeClock clock;
    MemoryStore store{clock};
    DbExecutor db;
    ExecutorAdapterStore adapter_store{store, db, kAccount};
    std::unique_ptr<WshotoSimulator> sim;
    std::unique_ptr<SimHttpClient> http;
    AccountConfig account;
    StreamConfig stream;
    boost::asio::io_context io;
    PlatformAdapterPtr adapter;
    StreamSyncPtr sync;
    json cursor;  // as committed
    TimeZone zone = TimeZone::utc();
    ApplyStats applied;  // every committed page's figures

    explicit Rig(std::size_t products, std::map<std::string, std::string> readings = {},
                 int page_size = 20) {
        SimOptions o;
        o.seed = 9;
        o.products = products;
        o.credentials = {{"appid", "app-1"}, {"app_secret", "app-secret-value"}};
        o.readings = std::move(readings);
        o.now = [this] { return clock.now(); };
        sim = std::make_unique<WshotoSimulator>(o);
        http = std::make_unique<SimHttpClient>(*sim);
        account.name = kAccount;
        account.platform = "wshoto";
        account.base_url = "http://sim";
        account.credentials = {{"appid", "app-1"}, {"app_secret", "app-secret-value"}};
        account.options["token_min_interval"] = "60000";
        stream.name = "products";
        stream.page_size = page_size;
        EXPECT_TRUE(store.register_account(kAccount, "wshoto").ok());
        restart();
    }

    // A new process: adapter and stream built afresh from the stored state.
    void restart() {
        sync.reset();
        adapter = make_adapter(AdapterDeps{account, *http, clock, zone,
                                           *store.load_account_state(kAccount), &adapter_store});
        sync = adapter->make_stream(stream);
    }

    // Fetches and commits one page, as the stream runner does; returns it.
    Page step() {
        auto page = run_coro(io, sync->fetch_page(cursor));
        EXPECT_TRUE(page.ok()) << page.error().describe();
        if (!page.ok()) return Page{};
        auto stats = store.apply_page({kAccount, stream.name}, 0, page->records, page->next_cursor);
        EXPECT_TRUE(stats.ok());
        if (stats.ok()) applied += *stats;
        cursor = page->next_cursor;
        return std::move(page.value());
    }
    // Pages until the cycle is done; the pages, in order.
    std::vector<Page> pass() {
        std::vector<Page> pages;
        for (int guard = 0; guard < 2000; ++guard) {
            pages.push_back(step());
            if (pages.back().cycle_done) return pages;
        }
        ADD_FAILURE() << "the pass did not end";
        return pages;
    }
    int calls_to(std::string_view path) const {
        int n = 0;
        for (const HttpRequest& r : http->requests) {
            if (r.url.find(path) != std::string::npos) ++n;
        }
        return n;
    }
    std::set<std::string> stored_live() const {
        std::set<std::string> out;
        for (const Product& p : store.products(kAccount)) {
            if (p.status != ProductStatus::deleted) out.insert(p.external_id);
        }
        return out;
    }
    std::map<std::string, Product> stored() const {
        std::map<std::string, Product> out;
        for (const Product& p : store.products(kAccount)) out[p.external_id] = p;
        return out;
    }
    // List calls a full pass makes: per type, its pages and the empty one that ends it.
    int expected_list_calls(int page_size) const {
        std::map<std::int64_t, int> per_type;
        std::string nd = sim->truth_ndjson();
        for (std::size_t pos = 0; pos < nd.size();) {
            const auto nl = nd.find('\n', pos);
            ++per_type[json::parse(nd.substr(pos, nl - pos))["product_type_id"]
                           .get<std::int64_t>()];
            pos = nl + 1;
        }
        int calls = 0;
        for (const auto& [type, n] : per_type) calls += (n + page_size - 1) / page_size + 1;
        return calls;
    }
    std::set<std::string> truth() const {
        std::set<std::string> out;
        std::string nd = sim->truth_ndjson();
        for (std::size_t pos = 0; pos < nd.size();) {
            const auto nl = nd.find('\n', pos);
            out.insert(json::parse(nd.substr(pos, nl - pos))["product_library_id"].dump());
            pos = nl + 1;
        }
        return out;
    }
};

}  // namespace csync::wshoto::test
