// The command line as an operator and an integrator use it.
#include <algorithm>

#include <sstream>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;

std::string vectors_config(const TempDir& dir) {
    // Credentials of the shared signing vectors (sunsky.md S1, wangdiantong.md A).
    return "store: { path: " + (dir / "store.db").string() +
           " }\n"
           "accounts:\n"
           "  - name: sun\n"
           "    platform: sunsky\n"
           "    base_url: http://127.0.0.1:9\n"
           "    credentials: { key: test_key, secret: test_secret }\n"
           "  - name: wdt\n"
           "    platform: wangdiantong\n"
           "    base_url: http://wdt.wangdian.cn\n"
           "    credentials: { sid: wdtapi3, key: appkey, appsecret: \"testsecret:testsalt\" }\n";
}

// One Sunsky account "sun" (key k, secret s) against `sim`, storing in dir/store.db.
std::string sunsky_config(const TempDir& dir, const Simulator& sim) {
    return "store: { path: " + (dir / "store.db").string() +
           " }\n"
           "accounts:\n"
           "  - name: sun\n"
           "    platform: sunsky\n"
           "    base_url: " +
           sim.base_url() +
           "\n"
           "    credentials: { key: k, secret: s }\n"
           // The simulator does not limit; at the default 5 requests/s the orders, images and
           // account streams alone would take a minute.
           "    rate_limit: { per_second: 500, burst: 100 }\n";
}

TEST(CliEndToEnd, CheckConfigReportsEveryErrorWithFileLineAndKeyPath) {
    TempDir dir;
    write_file(dir / "bad.yaml",
               "store: { path: x.db }\n"
               "accounts:\n"
               "  - name: Bad Name\n"
               "    platform: sunsky\n"
               "    credentials: { key: k }\n"
               "    streams:\n"
               "      products: { interval: 5 parsecs }\n"
               "    colour: blue\n"
               "  - name: other\n"
               "    platform: nosuch\n");
    auto r = run({syncd_bin(), "check-config", "-c", (dir / "bad.yaml").string()}, 30s);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    for (const char* expected :
         {"bad.yaml:3:", "accounts[0].name", "accounts[0].credentials.secret",
          "accounts[0].streams.products.interval", "accounts[0].colour", "accounts[1].platform"}) {
        EXPECT_NE(r.output.find(expected), std::string::npos) << expected << " in:\n" << r.output;
    }
}

TEST(CliEndToEnd, CheckConfigAcceptsTheShippedExamples) {
    auto demo = run(
        {syncd_bin(), "check-config", "-c", std::string(CSYNC_SOURCE_DIR) + "/config/demo.yaml"},
        30s,
        {{"DEMO_SUNSKY_URL", "http://127.0.0.1:1"},
         {"DEMO_SUNSKY_SECRET", "s"},
         {"DEMO_WDT_URL", "http://127.0.0.1:2"},
         {"DEMO_WDT_APPSECRET", "a:b"},
         {"DEMO_QIANMI_URL", "http://127.0.0.1:3"},
         {"DEMO_QIANMI_SECRET", "q"},
         {"DEMO_WSHOTO_URL", "http://127.0.0.1:4"},
         {"DEMO_WSHOTO_SECRET", "w"}});
    EXPECT_EQ(demo.exit_code, 0) << demo.output;
}

TEST(CliEndToEnd, VersionAndUsageErrors) {
    auto v = run({syncd_bin(), "version"}, 10s);
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_NE(v.output.find("commerce-syncd "), std::string::npos);
    auto bad = run({syncd_bin(), "frobnicate"}, 10s);
    EXPECT_EQ(bad.exit_code, 2) << bad.output;

    // A stream or account that the configuration does not have selects nothing: refused.
    TempDir dir;
    write_file(dir / "c.yaml", vectors_config(dir));
    const std::string cfg = (dir / "c.yaml").string();
    for (const auto& selection :
         std::vector<std::vector<std::string>>{{"--stream", "product"},
                                               {"--account", "wdt", "--stream", "categories"},
                                               {"--account", "nosuch"},
                                               {"--dry-run", "--stream", "stocks"}}) {
        std::vector<std::string> argv = {syncd_bin(), "sync-once", "-c", cfg};
        argv.insert(argv.end(), selection.begin(), selection.end());
        auto r = run(argv, 10s);
        EXPECT_EQ(r.exit_code, 2) << selection.back() << ": " << r.output;
        EXPECT_NE(r.output.find("no "), std::string::npos) << r.output;
    }
}

TEST(CliEndToEnd, ApiDryRunPrintsTheExactSignedRequestWithCredentialsMasked) {
    TempDir dir;
    write_file(dir / "c.yaml", vectors_config(dir));
    auto r = run(
        {syncd_bin(), "api", "-c", (dir / "c.yaml").string(), "sun", "product!search", "-p",
         "page=1", "-p", "pageSize=100", "-p", "gmtModifiedStart=10/31/2013 01:23:20", "--dry-run"},
        10s);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("POST http://127.0.0.1:9/openapi/product!search.do HTTP/1.1"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("signature=855f85e48f92ec30dd2f21f89559072a"), std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("test_key"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("gmtModifiedStart=10%2F31%2F2013+01%3A23%3A20"), std::string::npos);

    auto shown = run({syncd_bin(), "api", "-c", (dir / "c.yaml").string(), "sun", "product!search",
                      "-p", "page=1", "--dry-run", "--show-secrets"},
                     10s);
    EXPECT_NE(shown.output.find("key=test_key"), std::string::npos) << shown.output;

    // Wangdiantong vector A: fixed clock, positional body, sign in the query.
    auto w = run({syncd_bin(), "api", "-c", (dir / "c.yaml").string(), "wdt",
                  "sales.StockSync.getSelfWaitSyncIdListOpen", "--body", "[500,0]", "--at",
                  "1700000000", "--dry-run"},
                 10s);
    ASSERT_EQ(w.exit_code, 0) << w.output;
    EXPECT_NE(w.output.find("sign=c3476992620d3fb58e1e6c002c17b496"), std::string::npos)
        << w.output;
    EXPECT_NE(w.output.find("timestamp=374652800"), std::string::npos) << w.output;
    EXPECT_EQ(w.output.find("testsalt"), std::string::npos) << w.output;
    EXPECT_EQ(w.output.find("testsecret"), std::string::npos) << w.output;
    EXPECT_NE(w.output.find("\r\n\r\n[500,0]"), std::string::npos) << w.output;
}

TEST(CliEndToEnd, MigrateStatusExportAndResetCursor) {
    TempDir dir;
    Simulator sim(
        dir, "sunsky",
        {"--seed", "3", "--products", "120", "--key", "k", "--secret", "s", "--rate-limit", "0"});
    write_file(dir / "c.yaml", sunsky_config(dir, sim));
    std::string cfg = (dir / "c.yaml").string();
    auto m = run({syncd_bin(), "migrate", "-c", cfg}, 30s);
    EXPECT_EQ(m.exit_code, 0) << m.output;
    EXPECT_NE(m.output.find("schema version"), std::string::npos) << m.output;
    EXPECT_EQ(fs::status(dir / "store.db").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);

    ASSERT_EQ(run({syncd_bin(), "sync-once", "-c", cfg}, 60s).exit_code, 0);
    auto st = run({syncd_bin(), "status", "-c", cfg, "--json"}, 30s);
    ASSERT_EQ(st.exit_code, 0) << st.output;
    auto doc = nlohmann::json::parse(st.output);
    EXPECT_EQ(doc["accounts"]["sun"]["streams"]["products"]["records"], 120);

    auto ex = run({syncd_bin(), "export", "products", "--format", "ndjson", "-c", cfg}, 30s);
    ASSERT_EQ(ex.exit_code, 0);
    EXPECT_EQ(std::count(ex.output.begin(), ex.output.end(), '\n'), 120);
    auto bad_table = run({syncd_bin(), "export", "sqlite_master", "-c", cfg}, 30s);
    EXPECT_NE(bad_table.exit_code, 0);

    auto reset = run({syncd_bin(), "reset-cursor", "sun", "products", "-c", cfg}, 30s);
    EXPECT_EQ(reset.exit_code, 0) << reset.output;
    EXPECT_EQ(
        query_one(dir / "store.db",
                  "SELECT count(*) FROM sync_state WHERE account='sun' AND stream='products'"),
        "0");
    auto unknown = run({syncd_bin(), "reset-cursor", "sun", "nosuch", "-c", cfg}, 30s);
    EXPECT_EQ(unknown.exit_code, 2);
}

TEST(CliEndToEnd, BadRecordsBecomeDeadLettersThatCanBeListedAndDismissed) {
    TempDir dir;
    Simulator sim(
        dir, "sunsky",
        {"--seed", "5", "--products", "80", "--key", "k", "--secret", "s", "--rate-limit", "0"});
    auto corrupted = sim.post_json("/__sim/sunsky/corrupt?count=2")["corrupted"];
    ASSERT_EQ(corrupted.size(), 2u);
    write_file(dir / "c.yaml", sunsky_config(dir, sim));
    const std::string cfg = (dir / "c.yaml").string();

    // Two unreadable prices do not block the stream: the other 78 products are stored.
    auto synced = run({syncd_bin(), "sync-once", "-c", cfg}, 60s);
    ASSERT_EQ(synced.exit_code, 0) << synced.output;
    EXPECT_EQ(query_one(dir / "store.db", "SELECT count(*) FROM products"), "78");

    auto listed = run({syncd_bin(), "dead-letters", "-c", cfg}, 30s);
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    for (const auto& item : corrupted) {
        EXPECT_NE(listed.output.find("itemNo=" + item.get<std::string>()), std::string::npos)
            << listed.output;
    }
    EXPECT_NE(listed.output.find("price 'n/a' is not a decimal"), std::string::npos)
        << listed.output;

    auto as_json =
        run({syncd_bin(), "dead-letters", "--json", "--stream", "products", "-c", cfg}, 30s);
    ASSERT_EQ(as_json.exit_code, 0) << as_json.output;
    std::vector<nlohmann::json> rows;
    std::istringstream lines(as_json.output);
    for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0]["payload"]["price"], "n/a");  // the record exactly as received
    EXPECT_EQ(rows[0]["attempts"], 1);
    EXPECT_TRUE(rows[0]["resolved_at"].is_null());

    const std::string first = std::to_string(rows[0]["id"].get<long long>());
    auto dismissed = run({syncd_bin(), "dead-letters", "dismiss", first, "-c", cfg}, 30s);
    EXPECT_EQ(dismissed.exit_code, 0) << dismissed.output;
    auto again = run({syncd_bin(), "dead-letters", "dismiss", first, "-c", cfg}, 30s);
    EXPECT_EQ(again.exit_code, 2) << again.output;
    EXPECT_NE(again.output.find("already resolved"), std::string::npos) << again.output;

    auto st = run({syncd_bin(), "status", "--json", "-c", cfg}, 30s);
    ASSERT_EQ(st.exit_code, 0) << st.output;
    EXPECT_EQ(
        nlohmann::json::parse(st.output)["accounts"]["sun"]["streams"]["products"]["dead_letters"],
        1)
        << st.output;
    auto everything = run({syncd_bin(), "dead-letters", "--all", "-c", cfg}, 30s);
    EXPECT_NE(everything.output.find("(resolved "), std::string::npos) << everything.output;
}

}  // namespace
}  // namespace csync::it
