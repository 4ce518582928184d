// Operations end to end: the container health check verb, /metrics against promtool, and the
// per-account HTTP figures that `status --json` reads from the store.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;

// A loopback port free right now (the kernel's pick, released again): the health check reads
// the port from the configuration, so port 0 cannot be used there.
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ADD_FAILURE() << "no free port: " << std::strerror(errno);
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

struct SunskyDaemonEnv {
    TempDir dir;
    Simulator sim{dir,
                  "sunsky",
                  {"--seed", "3", "--products", "120", "--key", "ops-key", "--secret",
                   "ops-secret-value", "--rate-limit", "0"}};
    fs::path config = dir / "config.yaml";
    fs::path db = dir / "store.db";
    int port = free_port();

    SunskyDaemonEnv() {
        write_file(config, "store: { path: " + db.string() +
                               " }\n"
                               "http: { listen: \"127.0.0.1:" +
                               std::to_string(port) +
                               "\" }\n"
                               "accounts:\n"
                               "  - name: sunsky-ops\n"
                               "    platform: sunsky\n"
                               "    base_url: " +
                               sim.base_url() +
                               "\n"
                               "    credentials: { key: ops-key, secret: ops-secret-value }\n"
                               "    rate_limit: { per_second: 500, burst: 100 }\n"
                               "    streams:\n"
                               "      products: { interval: 1h, page_size: 50 }\n"
                               "      categories: { interval: 6h }\n"
                               "      account: { interval: 1h, backfill_days: 1 }\n");
    }

    // Waits until the stream has completed a cycle (its last success is set).
    bool synced(const std::string& stream = "products") {
        return eventually(
            [&] {
                auto s = http_request(port, "GET", "/status");
                auto doc = nlohmann::json::parse(s.body, nullptr, /*allow_exceptions=*/false);
                if (s.status != 200 || doc.is_discarded()) return false;
                auto products = doc.value(
                    nlohmann::json::json_pointer("/accounts/sunsky-ops/streams/" + stream),
                    nlohmann::json());
                return products.is_object() &&
                       products.value("last_success_at", nlohmann::json()).is_string();
            },
            60s);
    }
};

TEST(OpsEndToEnd, HealthcheckExitsZeroAgainstTheRunningDaemonAndOneWithoutIt) {
    SunskyDaemonEnv env;
    auto before = run({syncd_bin(), "healthcheck", "-c", env.config.string()}, 20s);
    EXPECT_EQ(before.exit_code, 1) << before.output;
    EXPECT_NE(before.output.find("/healthz"), std::string::npos) << before.output;

    Process daemon({syncd_bin(), "run", "-c", env.config.string()}, env.dir / "daemon.log");
    ASSERT_TRUE(
        eventually([&] { return http_request(env.port, "GET", "/healthz").status == 200; }, 20s))
        << daemon.output();
    auto healthy = run({syncd_bin(), "healthcheck", "-c", env.config.string()}, 20s);
    EXPECT_EQ(healthy.exit_code, 0) << healthy.output;
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(10s).value_or(-1), 0);
}

TEST(OpsEndToEnd, MetricsPassPromtoolAndCarryLagDurationAndProcessSeries) {
    SunskyDaemonEnv env;
    Process daemon({syncd_bin(), "run", "-c", env.config.string()}, env.dir / "daemon.log");
    ASSERT_TRUE(env.synced("products")) << daemon.output();
    ASSERT_TRUE(env.synced("account")) << daemon.output();
    auto metrics = http_request(env.port, "GET", "/metrics");
    ASSERT_EQ(metrics.status, 200);
    write_file(env.dir / "metrics.txt", metrics.body);
    auto lint =
        run({"/bin/sh", "-c",
             std::string(PROMTOOL_BIN) + " check metrics < " + (env.dir / "metrics.txt").string()},
            30s);
    EXPECT_EQ(lint.exit_code, 0) << lint.output << "\n" << metrics.body;
    for (const char* series :
         {"csync_cursor_lag_seconds{account=\"sunsky-ops\",stream=\"products\"} ",
          "csync_cycle_duration_seconds_bucket{account=\"sunsky-ops\",stream=\"products\",le=\"+"
          "Inf\"} 1",
          "csync_cycle_duration_seconds_count{account=\"sunsky-ops\",stream=\"products\"} 1",
          "csync_account_balance{account=\"sunsky-ops\",currency=\"USD\"} ",
          "process_resident_memory_bytes ", "process_open_fds ", "process_start_time_seconds "}) {
        EXPECT_NE(metrics.body.find(series), std::string::npos) << series << "\n" << metrics.body;
    }
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(10s).value_or(-1), 0);
}

// A shop account linked to an ERP account: sync-once records the link, `export catalogue`
// prints the view as CSV, and `status --json` shows the HTTP figures the daemon saved.
TEST(OpsEndToEnd, LinkedAccountsFeedTheCatalogueAndStatusShowsSavedHttpFigures) {
    TempDir dir;
    Simulator shop(dir, "sunsky",
                   {"--seed", "5", "--products", "30", "--key", "k1", "--secret", "shop-secret-1",
                    "--rate-limit", "0"});
    Simulator erp(dir, "wangdiantong",
                  {"--seed", "5", "--products", "30", "--sid", "sid1", "--key", "k2", "--appsecret",
                   "erp-secret-1:salt-1", "--rate-limit", "0"});
    fs::path config = dir / "config.yaml";
    fs::path db = dir / "store.db";
    write_file(config,
               "store: { path: " + db.string() +
                   " }\n"
                   "accounts:\n"
                   "  - name: shop\n"
                   "    platform: sunsky\n"
                   "    base_url: " +
                   shop.base_url() +
                   "\n"
                   "    credentials: { key: k1, secret: shop-secret-1 }\n"
                   "    rate_limit: { per_second: 500, burst: 100 }\n"
                   "    link: { stock_from: erp }\n"
                   "  - name: erp\n"
                   "    platform: wangdiantong\n"
                   "    base_url: " +
                   erp.base_url() +
                   "\n"
                   "    credentials: { sid: sid1, key: k2, appsecret: \"erp-secret-1:salt-1\" }\n");
    auto synced = run({syncd_bin(), "sync-once", "-c", config.string()}, 120s);
    ASSERT_EQ(synced.exit_code, 0) << synced.output;
    EXPECT_EQ(query_one(db, "SELECT account || '>' || stock_from FROM account_links"), "shop>erp");

    auto csv =
        run({syncd_bin(), "export", "catalogue", "--format", "csv", "-c", config.string()}, 30s);
    ASSERT_EQ(csv.exit_code, 0) << csv.output;
    EXPECT_EQ(csv.output.rfind("shop_account,erp_account,sku,", 0), 0u) << csv.output;
    EXPECT_EQ(std::count(csv.output.begin(), csv.output.end(), '\n'),
              1 + std::stoll(query_one(db, "SELECT count(*) FROM catalogue")));
    EXPECT_EQ(query_one(db, "SELECT count(DISTINCT external_id) FROM catalogue"),
              query_one(db, "SELECT count(*) FROM products WHERE account = 'shop'"));

    auto status = run({syncd_bin(), "status", "--json", "-c", config.string()}, 30s);
    ASSERT_EQ(status.exit_code, 0) << status.output;
    auto doc = nlohmann::json::parse(status.output);
    for (const char* account : {"shop", "erp"}) {
        auto http = doc["accounts"][account]["http"];
        ASSERT_TRUE(http.is_object()) << account << ": " << status.output;
        EXPECT_GT(http["responses"].value("200", 0), 0) << status.output;
        EXPECT_EQ(http["transport_errors"], 0);
    }
}

}  // namespace
}  // namespace csync::it
