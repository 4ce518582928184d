// Sunsky end to end: the real daemon against the real simulator over loopback.
#include <signal.h>

#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "csync/domain/decimal.hpp"
#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kKey = "it-key";
constexpr const char* kSecret = "it-secret-value";

std::string config_for(const TempDir& dir, const std::string& url, const std::string& secret,
                       const std::string& extra_account = "") {
    return "store: { path: " + (dir / "store.db").string() +
           " }\n"
           "log: { level: info, format: text }\n"
           "http: { listen: \"127.0.0.1:0\" }\n"
           "accounts:\n"
           "  - name: sunsky-it\n"
           "    platform: sunsky\n"
           "    base_url: " +
           url +
           "\n"
           "    timezone: Asia/Shanghai\n"
           "    credentials: { key: " +
           kKey + ", secret: \"" + secret +
           "\" }\n"
           "    rate_limit: { per_second: 500, burst: 100 }\n"
           "    request_timeout: 5s\n" +
           extra_account +
           "    streams:\n"
           "      products: { interval: 1h, page_size: 100 }\n"
           "      categories: { interval: 6h }\n";
}

struct Env {
    TempDir dir;
    std::unique_ptr<Simulator> sim;
    fs::path config;
    fs::path db;

    explicit Env(int products, std::vector<std::string> sim_args = {},
                 const std::string& secret = kSecret) {
        std::vector<std::string> args = {
            "--seed", "7",        "--products", std::to_string(products), "--key",
            kKey,     "--secret", kSecret,      "--rate-limit",           "0"};
        args.insert(args.end(), sim_args.begin(), sim_args.end());
        sim = std::make_unique<Simulator>(dir, "sunsky", args);
        config = dir / "config.yaml";
        db = dir / "store.db";
        write_file(config, config_for(dir, sim->base_url(), secret));
    }

    RunResult sync_once(std::vector<std::string> extra = {}) {
        std::vector<std::string> argv = {syncd_bin(), "sync-once", "-c", config.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run(argv, 300s);
    }
};

// The store equals the simulator's truth: same SKUs, exact prices, stock and titles.
void expect_store_equals_truth(Env& env) {
    auto truth = env.sim->truth_records();
    ASSERT_FALSE(truth.empty());
    auto rows = query_rows(env.db,
                           "SELECT external_id, price, stock, title, status FROM products "
                           "WHERE account='sunsky-it' ORDER BY external_id");
    std::map<std::string, std::vector<std::string>> stored;
    for (auto& r : rows) stored[r[0]] = r;
    ASSERT_EQ(stored.size(), truth.size());
    int mismatches = 0;
    for (const auto& rec : truth) {
        std::string item = rec.at("itemNo").get<std::string>();
        auto it = stored.find(item);
        if (it == stored.end()) {
            ADD_FAILURE() << "missing " << item;
            if (++mismatches > 5) return;
            continue;
        }
        std::string price = rec.at("price").is_string() ? rec.at("price").get<std::string>()
                                                        : rec.at("price").dump();
        auto expected = Decimal::parse(price);
        ASSERT_TRUE(expected.has_value()) << price;
        if (it->second[1] != expected->text() ||
            it->second[2] != std::to_string(rec.at("stock").get<long long>()) ||
            it->second[3] != rec.at("name").get<std::string>()) {
            ADD_FAILURE() << item << " differs: stored price=" << it->second[1]
                          << " stock=" << it->second[2] << " title=" << it->second[3]
                          << " truth=" << rec.dump();
            if (++mismatches > 5) return;
        }
    }
}

long long sim_requests(Simulator& sim) {
    auto s = sim.stats();
    return s.value("requests", 0LL);
}

TEST(SunskyEndToEnd, FullSyncEqualsTruthAndCategoriesArrive) {
    Env env(2500);
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_store_equals_truth(env);
    EXPECT_GT(std::stoi(query_one(env.db, "SELECT count(*) FROM categories")), 10);
    // Every stored time is UTC ISO-8601.
    EXPECT_EQ(query_one(env.db,
                        "SELECT count(*) FROM products WHERE source_modified_at NOT LIKE "
                        "'____-__-__T__:__:__Z'"),
              "0");
    // The cursor keeps the platform's own format for gmtModifiedStart.
    auto cursor = nlohmann::json::parse(query_one(
        env.db, "SELECT cursor FROM sync_state WHERE account='sunsky-it' AND stream='products'"));
    EXPECT_TRUE(cursor.contains("t0")) << cursor.dump();
    EXPECT_EQ(cursor["t0"].get<std::string>().size(), std::string("10/31/2013 01:23:20").size());
}

TEST(SunskyEndToEnd, MutateThenSyncPicksUpTheChanges) {
    Env env(1500);
    ASSERT_EQ(env.sync_once().exit_code, 0);
    auto changes_before = std::stoll(query_one(env.db, "SELECT count(*) FROM changes"));
    auto mutated = env.sim->post_json("/__sim/mutate?count=120");
    ASSERT_EQ(mutated.value("mutated", 0), 120) << mutated.dump();
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_store_equals_truth(env);
    auto updates = std::stoll(
        query_one(env.db, "SELECT count(*) FROM changes WHERE op='update' AND entity='product'"));
    EXPECT_GE(updates, 100);  // a record mutated twice in one second may count once
    EXPECT_GT(std::stoll(query_one(env.db, "SELECT count(*) FROM changes")), changes_before);
}

TEST(SunskyEndToEnd, LookbackPicksUpWritesTheWatermarkHadAlreadyPassed) {
    Env env(200);
    ASSERT_EQ(env.sync_once().exit_code, 0);
    env.sim->post_json("/__sim/mutate?count=1");  // moves the watermark up to now
    ASSERT_EQ(env.sync_once().exit_code, 0);

    // Writes stamped a minute ago become visible only now.
    auto late = env.sim->post_json("/__sim/sunsky/late-commit?count=3&seconds=60")["late"];
    ASSERT_EQ(late.size(), 3u);
    auto stored_stock = [&](const std::string& item) {
        return query_one(env.db, "SELECT stock FROM products WHERE external_id='" + item + "'");
    };
    std::map<std::string, std::string> truth_stock;
    for (const auto& rec : env.sim->truth_records()) {
        truth_stock[rec.at("itemNo").get<std::string>()] =
            std::to_string(rec.at("stock").get<long long>());
    }

    // Without a lookback they are behind the watermark: missed.
    ASSERT_EQ(env.sync_once().exit_code, 0);
    for (const auto& item : late) {
        EXPECT_NE(stored_stock(item.get<std::string>()), truth_stock[item.get<std::string>()]);
    }

    // With one longer than the delay, the next cycle reads them.
    std::string config = config_for(env.dir, env.sim->base_url(), kSecret);
    const std::string from = "products: { interval: 1h, page_size: 100 }";
    config.replace(config.find(from), from.size(),
                   "products: { interval: 1h, page_size: 100, lookback: 5m }");
    write_file(env.config, config);
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_store_equals_truth(env);
}

TEST(SunskyEndToEnd, RestartResumesFromTheStoredWatermarkWithFarFewerRequests) {
    Env env(3000);
    auto before = sim_requests(*env.sim);
    ASSERT_EQ(env.sync_once().exit_code, 0);
    auto full = sim_requests(*env.sim) - before;
    ASSERT_GE(full, 30);  // 3000 products / 100 per page, plus categories

    env.sim->post_json("/__sim/mutate?count=10");
    auto mid = sim_requests(*env.sim);
    ASSERT_EQ(env.sync_once().exit_code, 0);
    auto incremental = sim_requests(*env.sim) - mid;
    EXPECT_LT(incremental * 5, full) << "full=" << full << " incremental=" << incremental;
    expect_store_equals_truth(env);
}

TEST(SunskyEndToEnd, SigtermDuringASyncLeavesAConsistentDatabase) {
    Env env(4000);
    // Slow every answer down so that SIGTERM lands mid-sync.
    env.sim->post_json("/__sim/faults", R"({"delay":1.0,"delay_ms":40})");
    Process daemon({syncd_bin(), "run", "-c", env.config.string()}, env.dir / "daemon.log");
    ASSERT_TRUE(eventually(
        [&] {
            const std::string n = query_when_ready(env.db, "SELECT count(*) FROM products");
            return !n.empty() && std::stoll(n) >= 300;
        },
        60s))
        << daemon.output();
    daemon.signal(SIGTERM);
    auto code = daemon.wait(10s);
    ASSERT_TRUE(code.has_value()) << "daemon did not exit within 10 s:\n" << daemon.output();
    EXPECT_EQ(*code, 0) << daemon.output();
    EXPECT_EQ(query_one(env.db, "PRAGMA integrity_check"), "ok");
    auto stored = std::stoll(query_one(env.db, "SELECT count(*) FROM products"));
    EXPECT_LT(stored, 4000) << "the sync finished before SIGTERM; the test proves nothing";

    // Resuming from the committed cursor converges to the truth.
    env.sim->post_json("/__sim/faults", "{}");
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_store_equals_truth(env);
}

TEST(SunskyEndToEnd, WrongSecretParksTheAccountWithAClearStatus) {
    TempDir dir;
    Simulator sim(dir, "sunsky",
                  {"--seed", "1", "--products", "50", "--key", kKey, "--secret", kSecret});
    write_file(dir / "config.yaml", config_for(dir, sim.base_url(), "not-the-secret"));
    auto r = run({syncd_bin(), "sync-once", "-c", (dir / "config.yaml").string()}, 60s);
    EXPECT_EQ(r.exit_code, 4) << r.output;
    EXPECT_NE(r.output.find("signature"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("not-the-secret"), std::string::npos) << "secret leaked:\n" << r.output;
    auto status = run({syncd_bin(), "status", "-c", (dir / "config.yaml").string()}, 30s);
    EXPECT_EQ(status.exit_code, 0);
    EXPECT_NE(status.output.find("parked"), std::string::npos) << status.output;
    // Only a handful of calls: an auth error is not retried.
    EXPECT_LE(sim.stats().value("requests", 0LL), 4);
}

TEST(SunskyEndToEnd, DryRunWithAWrongSecretSaysSoAndExitsFour) {
    Env env(30, {}, "wrong-secret");
    auto r = env.sync_once({"--dry-run"});
    EXPECT_EQ(r.exit_code, 4) << r.output;
    EXPECT_NE(r.output.find("sunsky-it/products: failed: auth"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("wrong-secret"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(env.db));

    write_file(env.config, config_for(env.dir, env.sim->base_url(), kSecret));
    auto ok = env.sync_once({"--dry-run", "--stream", "products"});
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("sunsky-it/products: 30 products"), std::string::npos) << ok.output;
    EXPECT_EQ(ok.output.find("sunsky-it/categories"), std::string::npos) << ok.output;
    EXPECT_FALSE(fs::exists(env.db));
}

TEST(SunskyEndToEnd, StatusEndpointServesHealthStatusAndMetrics) {
    Env env(300);
    Process daemon({syncd_bin(), "run", "-c", env.config.string()}, env.dir / "daemon.log");
    int port = 0;
    ASSERT_TRUE(eventually(
        [&] {
            auto out = daemon.output();
            auto pos = out.find("status endpoint on http://127.0.0.1:");
            if (pos == std::string::npos) return false;
            port =
                std::atoi(out.c_str() + pos + std::strlen("status endpoint on http://127.0.0.1:"));
            return port > 0;
        },
        20s))
        << daemon.output();
    // Wait for the products stream's own first success: categories (one request) always
    // finishes first, so "any stream succeeded" raced the products cycle (several pages).
    ASSERT_TRUE(eventually(
        [&] {
            auto s = http_request(port, "GET", "/status");
            if (s.status != 200) return false;
            auto doc = nlohmann::json::parse(s.body, nullptr, /*allow_exceptions=*/false);
            auto products = doc.is_discarded()
                                ? nlohmann::json()
                                : doc.value("/accounts/sunsky-it/streams/products"_json_pointer,
                                            nlohmann::json());
            return products.is_object() &&
                   products.value("last_success_at", nlohmann::json()).is_string();
        },
        60s));
    EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
    EXPECT_EQ(http_request(port, "GET", "/readyz").status, 200);
    auto metrics = http_request(port, "GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("csync_records{account=\"sunsky-it\",stream=\"products\"} 300"),
              std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("csync_http_responses_total{account=\"sunsky-it\",code=\"200\"} "),
              std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("csync_rate_limit_wait_seconds_total{account=\"sunsky-it\"} "),
              std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("csync_http_transport_errors_total{account=\"sunsky-it\"} 0"),
              std::string::npos)
        << metrics.body;
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(10s).value_or(-1), 0);
}

TEST(SunskyEndToEnd, SighupReloadsAValidConfigAndKeepsTheRunningOneOtherwise) {
    Env env(200);
    Process daemon({syncd_bin(), "run", "-c", env.config.string()}, env.dir / "daemon.log");
    auto products_of = [&](const std::string& account) {
        const std::string n = query_when_ready(
            env.db, "SELECT count(*) FROM products WHERE account='" + account + "'");
        return n.empty() ? 0 : std::stoi(n);
    };
    ASSERT_TRUE(eventually([&] { return products_of("sunsky-it") == 200; }, 60s))
        << daemon.output();

    // An invalid file: the daemon says why and goes on with the configuration it has.
    write_file(env.config, "accounts: [ { name: Not Valid, platform: nowhere } ]\n");
    daemon.signal(SIGHUP);
    ASSERT_TRUE(eventually(
        [&] { return daemon.output().find("keeping the running one") != std::string::npos; }, 20s))
        << daemon.output();
    EXPECT_NE(daemon.output().find("accounts[0].name"), std::string::npos) << daemon.output();
    EXPECT_TRUE(daemon.running());

    // A valid file with a second account: reloaded, and the new account syncs.
    write_file(env.config, config_for(env.dir, env.sim->base_url(), kSecret) +
                               "  - name: sunsky-second\n"
                               "    platform: sunsky\n"
                               "    base_url: " +
                               env.sim->base_url() +
                               "\n"
                               "    credentials: { key: " +
                               kKey + ", secret: \"" + kSecret +
                               "\" }\n"
                               "    streams: { products: { interval: 1h } }\n");
    daemon.signal(SIGHUP);
    ASSERT_TRUE(eventually([&] { return products_of("sunsky-second") == 200; }, 60s))
        << daemon.output();
    EXPECT_NE(daemon.output().find("configuration reloaded"), std::string::npos);

    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(10s).value_or(-1), 0) << daemon.output();
}

// The port of the n-th (0-based) "status endpoint on" line of a daemon's log; 0 if not there.
int status_port(const std::string& log, int n) {
    const std::string mark = "status endpoint on http://127.0.0.1:";
    std::size_t pos = 0;
    for (int i = 0; i <= n; ++i) {
        pos = log.find(mark, i == 0 ? 0 : pos + 1);
        if (pos == std::string::npos) return 0;
    }
    return std::atoi(log.c_str() + pos + mark.size());
}

TEST(SunskyEndToEnd, SighupRebindsTheStatusEndpointWhenHttpListenChanges) {
    Env env(20);
    const std::string base = config_for(env.dir, env.sim->base_url(), kSecret);
    auto with_listen = [&](const std::string& listen) {
        std::string text = base;
        const std::string from = "http: { listen: \"127.0.0.1:0\" }";
        text.replace(text.find(from), from.size(), "http: { listen: \"" + listen + "\" }");
        return text;
    };
    Process daemon({syncd_bin(), "run", "-c", env.config.string()}, env.dir / "daemon.log");
    int first = 0;
    ASSERT_TRUE(eventually([&] { return (first = status_port(daemon.output(), 0)) > 0; }, 20s))
        << daemon.output();
    EXPECT_EQ(http_request(first, "GET", "/healthz").status, 200);

    // An address that is taken (the simulator's): the endpoint stays on the previous setting.
    write_file(env.config, with_listen("127.0.0.1:" + std::to_string(env.sim->port())));
    daemon.signal(SIGHUP);
    int second = 0;
    ASSERT_TRUE(eventually([&] { return (second = status_port(daemon.output(), 1)) > 0; }, 20s))
        << daemon.output();
    EXPECT_NE(daemon.output().find("keeping the previous http.listen"), std::string::npos)
        << daemon.output();
    EXPECT_EQ(http_request(second, "GET", "/healthz").status, 200);

    // "off" closes it; a store.path change is reported as needing a restart.
    std::string off = with_listen("off");
    const std::string db_line = "store: { path: " + (env.dir / "store.db").string() + " }";
    off.replace(off.find(db_line), db_line.size(),
                "store: { path: " + (env.dir / "elsewhere.db").string() + " }");
    write_file(env.config, off);
    daemon.signal(SIGHUP);
    ASSERT_TRUE(eventually(
        [&] { return daemon.output().find("status endpoint closed") != std::string::npos; }, 20s))
        << daemon.output();
    EXPECT_EQ(http_request(second, "GET", "/healthz").status, 0);  // refused
    EXPECT_NE(daemon.output().find("takes effect at the next restart"), std::string::npos)
        << daemon.output();
    EXPECT_FALSE(fs::exists(env.dir / "elsewhere.db"));

    // Back on: a new listener.
    write_file(env.config, base);
    daemon.signal(SIGHUP);
    int third = 0;
    ASSERT_TRUE(eventually([&] { return (third = status_port(daemon.output(), 2)) > 0; }, 20s))
        << daemon.output();
    EXPECT_EQ(http_request(third, "GET", "/healthz").status, 200);
    EXPECT_TRUE(daemon.running());

    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(10s).value_or(-1), 0) << daemon.output();
}

TEST(SunskyEndToEnd, ApiSendsOneSignedCallAndPrintsThePlatformsAnswer) {
    Env env(50);
    auto r = run({syncd_bin(), "api", "-c", env.config.string(), "sunsky-it", "product!search",
                  "-p", "page=1", "-p", "pageSize=5"},
                 30s);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // The simulator checked the signature and answered with the platform's own envelope.
    auto body = r.output.substr(r.output.find('{'));
    auto doc = nlohmann::json::parse(body.substr(0, body.rfind('}') + 1));
    EXPECT_EQ(doc.value("result", ""), "success") << body;
    EXPECT_EQ(doc["data"]["result"].size(), 5u) << body;
    EXPECT_EQ(r.output.find(kSecret), std::string::npos);

    // The platform's refusal is printed as it came, for the integrator to read.
    write_file(env.config, config_for(env.dir, env.sim->base_url(), "wrong-secret"));
    auto refused = run({syncd_bin(), "api", "-c", env.config.string(), "sunsky-it",
                        "product!search", "-p", "page=1"},
                       30s);
    EXPECT_NE(refused.output.find("NO_PERMISSION_DUE_TO_SIGNATURE"), std::string::npos)
        << refused.output;
    // It came inside an HTTP 200; the exit code says what it meant: credentials rejected.
    EXPECT_EQ(refused.exit_code, 4) << refused.output;
    EXPECT_NE(refused.output.find("the platform answered with an error: auth"), std::string::npos)
        << refused.output;
    EXPECT_EQ(refused.output.find("wrong-secret"), std::string::npos) << refused.output;
}

TEST(SunskyEndToEnd, TwoDaemonsOnOneDatabaseAreRefused) {
    Env env(200);
    Process first({syncd_bin(), "run", "-c", env.config.string()}, env.dir / "first.log");
    ASSERT_TRUE(eventually([&] { return fs::exists(env.db.string() + ".lock"); }, 20s));
    auto second = run({syncd_bin(), "run", "-c", env.config.string()}, 30s);
    EXPECT_EQ(second.exit_code, 3) << second.output;
    EXPECT_NE(second.output.find("another commerce-syncd"), std::string::npos) << second.output;
    first.signal(SIGTERM);
    EXPECT_EQ(first.wait(10s).value_or(-1), 0);
}

}  // namespace
}  // namespace csync::it
