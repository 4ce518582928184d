// A faulty platform (5xx, resets, truncated and non-JSON bodies, rate-limit answers, delays) must
// still converge to the truth, and a crash at any moment must lose nothing.
#include <signal.h>

#include <iostream>
#include <random>

#include <gtest/gtest.h>

#include "csync/domain/decimal.hpp"
#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;

std::string sunsky_config(const TempDir& dir, const std::string& url) {
    return "store: { path: " + (dir / "store.db").string() +
           " }\n"
           "http: { listen: \"127.0.0.1:0\" }\n"
           "accounts:\n"
           "  - name: chaos\n"
           "    platform: sunsky\n"
           "    base_url: " +
           url +
           "\n"
           "    credentials: { key: k-chaos, secret: s-chaos }\n"
           "    rate_limit: { per_second: 1000, burst: 100 }\n"
           "    request_timeout: 3s\n"
           "    streams: { products: { page_size: 50 }, categories: {} }\n";
}

std::map<std::string, std::string> truth_prices(Simulator& sim) {
    std::map<std::string, std::string> out;
    for (const auto& rec : sim.truth_records()) {
        std::string price = rec.at("price").is_string() ? rec.at("price").get<std::string>()
                                                        : rec.at("price").dump();
        out[rec.at("itemNo").get<std::string>()] = Decimal::parse(price)->text();
    }
    return out;
}

std::map<std::string, std::string> stored_prices(const fs::path& db) {
    std::map<std::string, std::string> out;
    for (auto& r : query_rows(db, "SELECT external_id, price FROM products")) out[r[0]] = r[1];
    return out;
}

TEST(ChaosEndToEnd, AFaultySimulatorStillConverges) {
    TempDir dir;
    Simulator sim(dir, "sunsky",
                  {"--seed", "11", "--products", "1500", "--key", "k-chaos", "--secret", "s-chaos",
                   "--rate-limit", "0"});
    // The rate-limit fault answers UP_TO_API_CALL_LIMIT_IN_MINUTE, which asks for a wait until the
    // next minute: keep it rare so the test stays short, the other faults frequent.
    auto set = sim.post_json("/__sim/faults",
                             R"({"http_500":0.08,"reset":0.05,"truncate":0.05,"non_json":0.05,)"
                             R"("delay":0.05,"delay_ms":200,"seed":3})");
    ASSERT_FALSE(set.is_null());
    write_file(dir / "config.yaml", sunsky_config(dir, sim.base_url()));

    // Each pass retries per page; a page that keeps failing ends the pass with the cursor kept,
    // and the next pass continues from there.
    int passes = 0;
    for (; passes < 6; ++passes) {
        auto r = run({syncd_bin(), "sync-once", "-c", (dir / "config.yaml").string()}, 300s);
        if (r.exit_code == 0) break;
        ASSERT_EQ(r.exit_code, 1) << r.output;
    }
    ASSERT_LT(passes, 6);
    // The faults really happened: every configured kind was injected, and the daemon came through
    // more failed answers than a pass has pages.
    const auto stats = sim.stats();
    const auto& injected = stats.at("faults");
    std::uint64_t failed_answers = 0;
    for (const char* kind : {"http_500", "reset", "truncate", "non_json", "delay"}) {
        const std::uint64_t n = injected.value(kind, std::uint64_t{0});
        EXPECT_GT(n, 0u) << kind << " never injected: " << stats.dump();
        if (std::string(kind) != "delay") failed_answers += n;
    }
    EXPECT_GE(failed_answers, 5u) << stats.dump();
    EXPECT_GT(stats.at("requests").get<std::uint64_t>(), failed_answers) << stats.dump();
    std::cout << "faults injected: " << injected.dump() << " of " << stats.at("requests")
              << " requests\n";
    sim.post_json("/__sim/faults", "{}");
    EXPECT_EQ(stored_prices(dir / "store.db"), truth_prices(sim));
    EXPECT_EQ(query_one(dir / "store.db", "PRAGMA integrity_check"), "ok");
}

TEST(ChaosEndToEnd, KillNineAtRandomMomentsLosesNothing) {
    TempDir dir;
    Simulator sim(dir, "sunsky",
                  {"--seed", "5", "--products", "2000", "--key", "k-chaos", "--secret", "s-chaos",
                   "--rate-limit", "0"});
    sim.post_json("/__sim/faults", R"({"delay":1.0,"delay_ms":15})");
    write_file(dir / "config.yaml", sunsky_config(dir, sim.base_url()));
    std::mt19937 rng(1234);
    for (int i = 0; i < 4; ++i) {
        Process p({syncd_bin(), "sync-once", "-c", (dir / "config.yaml").string()},
                  dir / ("kill" + std::to_string(i) + ".log"));
        std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 400));
        p.signal(SIGKILL);
        p.wait(5s);
        if (fs::exists(dir / "store.db")) {
            EXPECT_EQ(query_one(dir / "store.db", "PRAGMA integrity_check"), "ok");
        }
        sim.post_json("/__sim/mutate?count=25");
    }
    sim.post_json("/__sim/faults", "{}");
    auto r = run({syncd_bin(), "sync-once", "-c", (dir / "config.yaml").string()}, 300s);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(stored_prices(dir / "store.db"), truth_prices(sim));
}

}  // namespace
}  // namespace csync::it
