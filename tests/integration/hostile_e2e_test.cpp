// Answers no honest platform gives: what the daemon does when the platform, or whoever sits on
// the plain-HTTP path to it, answers with something built to break it.
#include <signal.h>

#include <cstring>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// One Sunsky account "sun" and one Wangdiantong account "wdt", both pointed at `base_url`.
std::string config_at(const TempDir& dir, const std::string& base_url,
                      const std::string& listen = "off") {
    return "store: { path: " + (dir / "store.db").string() +
           " }\n"
           "http: { listen: \"" +
           listen +
           "\" }\n"
           "accounts:\n"
           "  - name: sun\n"
           "    platform: sunsky\n"
           "    base_url: " +
           base_url +
           "\n"
           "    credentials: { key: hostile-key, secret: hostile-secret }\n"
           "  - name: wdt\n"
           "    platform: wangdiantong\n"
           "    base_url: " +
           base_url +
           "\n"
           "    credentials: { sid: hostile-sid, key: hostile-appkey, appsecret: "
           "\"hostile-secret:hostile-salt\" }\n";
}

// 200,000 levels of nesting used to overflow the stack (SIGSEGV, exit 139) in sync-once and api.
TEST(HostileAnswers, DeeplyNestedAnswerIsABadResponseNotACrash) {
    const std::string deep = nested(200'000);
    CannedServer server("{\"result\":\"success\",\"status\":0,\"data\":" + deep + "}");
    TempDir dir;
    write_file(dir / "c.yaml", config_at(dir, server.base_url()));
    const std::string config = (dir / "c.yaml").string();

    auto once = run({syncd_bin(), "sync-once", "-c", config}, 120s);
    EXPECT_EQ(once.exit_code, 1) << once.output.substr(0, 300);
    EXPECT_NE(once.output.find("nesting"), std::string::npos) << once.output.substr(0, 300);
    EXPECT_GT(server.requests(), 0);
    // Each stream's failure is recorded as a typed bad_response.
    EXPECT_NE(query_one(dir / "store.db",
                        "SELECT count(*) FROM sync_runs WHERE error LIKE '%bad_response%'"),
              "0");

    for (const auto& [account, method] :
         {std::pair<std::string, std::string>{"sun", "product!search"},
          {"wdt", "sales.StockSync.getSelfWaitSyncIdListOpen"}}) {
        auto api = run({syncd_bin(), "api", "-c", config, account, method}, 60s);
        EXPECT_EQ(api.exit_code, 1) << account << ": " << api.output.substr(0, 300);
        EXPECT_NE(api.output.find("nesting"), std::string::npos)
            << account << ": " << api.output.substr(0, 300);
    }
}

// A careless gateway that repeats every parameter it received in its error message (by value,
// without the names). No credential, salt or request signature may reach the database, status,
// status --json, /status, /metrics or dead-letters.
TEST(HostileAnswers, AGatewayEchoingItsParametersLeaksNoSecretOutOfTheProcess) {
    CannedServer server(
        "{\"result\":\"error\",\"messages\":[\"refused, got: %VALUES%\"],\"status\":100,"
        "\"message\":\"refused, got: %VALUES%\"}");
    TempDir dir;
    write_file(dir / "c.yaml", config_at(dir, server.base_url(), "127.0.0.1:0"));
    const std::string config = (dir / "c.yaml").string();

    std::string outputs;
    auto once = run({syncd_bin(), "sync-once", "-c", config}, 120s);
    EXPECT_EQ(once.exit_code, 1) << once.output;
    outputs += once.output;

    Process daemon({syncd_bin(), "run", "-c", config}, dir / "daemon.log");
    int port = 0;
    ASSERT_TRUE(eventually(
        [&] {
            const std::string mark = "status endpoint on http://127.0.0.1:";
            auto out = daemon.output();
            auto pos = out.find(mark);
            if (pos != std::string::npos) port = std::atoi(out.c_str() + pos + mark.size());
            return port > 0 && out.find("cycle failed") != std::string::npos;
        },
        30s))
        << daemon.output();
    auto status = http_request(port, "GET", "/status");
    EXPECT_EQ(status.status, 200);
    EXPECT_NE(status.body.find("refused, got:"), std::string::npos) << status.body;
    outputs += status.body;
    outputs += http_request(port, "GET", "/metrics").body;
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(10s).value_or(-1), 0);
    outputs += daemon.output();

    for (std::vector<std::string> args : {std::vector<std::string>{"status"},
                                          {"status", "--json"},
                                          {"dead-letters", "--all"},
                                          {"dead-letters", "--all", "--json"}}) {
        args.insert(args.begin(), syncd_bin());
        args.insert(args.end(), {"-c", config});
        auto r = run(args, 30s);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        outputs += r.output;
    }
    EXPECT_NE(outputs.find("refused, got:"), std::string::npos) << "the echo was recorded";
    // The database, byte for byte (the WAL too): text is stored as it is written.
    std::string database = read_file(dir / "store.db");
    if (fs::exists(dir / "store.db-wal")) database += read_file(dir / "store.db-wal");

    std::set<std::string> secrets = {"hostile-key", "hostile-secret", "hostile-salt",
                                     "hostile-appkey"};
    const std::regex signed_param("[?&](signature|sign)=([0-9a-f]{32})");
    for (const std::string& request : server.received()) {
        for (std::sregex_iterator it(request.begin(), request.end(), signed_param), end; it != end;
             ++it) {
            secrets.insert((*it)[2].str());
        }
    }
    ASSERT_GT(secrets.size(), 6u) << "signatures of both platforms were sent";
    for (const std::string& secret : secrets) {
        EXPECT_EQ(outputs.find(secret), std::string::npos) << secret << " in\n" << outputs;
        EXPECT_EQ(database.find(secret), std::string::npos) << secret << " in the database";
    }
}

}  // namespace
}  // namespace csync::it
