#pragma once
// Rigs for the Wangdiantong unit tests: an adapter with no network (raw calls), and an adapter
// wired to the simulator in process (fake HTTP client, fake clock shared by both sides).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "core/run_coro.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/sim_http_client.hpp"
#include "wangdiantong/registration.hpp"
#include "wangdiantong/simulator.hpp"

namespace csync::testing {

class NoNetwork final : public HttpClient {
  public:
    boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest) override {
        co_return Error::transient("no network in this test");
    }
};

// 2025-10-09T08:53:20Z: after the simulator's generated history.
inline constexpr std::int64_t kSimNow = 1'760'000'000;

struct AdapterRig {
    AccountConfig account;
    FakeClock clock;
    NoNetwork http;
    PlatformAdapterPtr adapter;

    AdapterRig(std::string base, std::string appsecret, std::string sid, std::string key) {
        account.name = "wdt-test";
        account.platform = "wangdiantong";
        account.base_url = std::move(base);
        account.timezone = "Asia/Shanghai";
        account.credentials = {
            {"sid", std::move(sid)}, {"key", std::move(key)}, {"appsecret", std::move(appsecret)}};
        adapter = wangdiantong::registration().make_adapter(
            AdapterDeps{account, http, clock, TimeZone::from_name("Asia/Shanghai").value()});
    }
};

struct SimRig {
    FakeClock clock{std::chrono::system_clock::time_point{std::chrono::seconds{kSimNow}}};
    std::unique_ptr<wangdiantong::WangdiantongSimulator> sim;
    std::unique_ptr<SimHttpClient> http;
    AccountConfig account;
    StreamConfig stream_config;
    PlatformAdapterPtr adapter;
    boost::asio::io_context io;

    explicit SimRig(std::size_t products, bool ack = true, int page_size = 50,
                    int calc_batch_size = 20, std::uint64_t seed = 5) {
        SimOptions options;
        options.seed = seed;
        options.products = products;
        options.credentials = {{"sid", "t-sid"}, {"key", "t-key"}, {"appsecret", "t-sec:t-salt:x"}};
        options.now = [this] { return clock.now(); };
        sim = std::make_unique<wangdiantong::WangdiantongSimulator>(options);
        http = std::make_unique<SimHttpClient>(*sim);
        account.name = "wdt-test";
        account.platform = "wangdiantong";
        account.base_url = "http://sim.invalid";
        account.timezone = "Asia/Shanghai";
        account.credentials = options.credentials;
        account.options["ack"] = ack ? "true" : "false";
        stream_config.name = "stock";
        stream_config.page_size = page_size;
        stream_config.options["calc_batch_size"] = std::to_string(calc_batch_size);
        adapter = wangdiantong::registration().make_adapter(
            AdapterDeps{account, *http, clock, TimeZone::from_name("Asia/Shanghai").value()});
    }

    StreamSyncPtr stream() { return adapter->make_stream(stream_config); }

    Result<Page> fetch(StreamSync& s, const nlohmann::json& cursor) {
        return run_coro(io, s.fetch_page(cursor));
    }
    Status ack(StreamSync& s, Page& page) { return run_coro(io, s.after_commit(page)); }

    struct Cycle {
        std::vector<Page> pages;
        std::optional<Error> error;
        nlohmann::json cursor;
    };
    // As the stream runner does it: fetch, "commit" (keep the cursor), acknowledge, repeat.
    Cycle run_cycle(StreamSync& s, nlohmann::json cursor) {
        Cycle out;
        for (int i = 0; i < 10'000; ++i) {
            auto page = fetch(s, cursor);
            if (!page.ok()) {
                out.error = page.error();
                break;
            }
            cursor = page->next_cursor;
            Status acked = ack(s, *page);
            if (!acked.ok()) out.error = acked.error();
            out.pages.push_back(std::move(*page));
            if (out.pages.back().cycle_done) break;
        }
        out.cursor = cursor;
        return out;
    }

    // rec_id -> syn_stock text, from the simulator's truth.
    std::map<std::string, std::string> truth_stock() {
        std::map<std::string, std::string> out;
        std::string all = sim->truth_ndjson();
        std::size_t pos = 0;
        while (pos < all.size()) {
            auto end = all.find('\n', pos);
            auto rec = nlohmann::json::parse(all.substr(pos, end - pos));
            out[std::to_string(rec.at("rec_id").get<long long>())] = rec.at("syn_stock").dump();
            pos = end + 1;
        }
        return out;
    }
};

}  // namespace csync::testing
