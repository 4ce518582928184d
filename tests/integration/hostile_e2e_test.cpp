// Answers no honest platform gives: what the daemon does when the platform, or whoever sits on
// the plain-HTTP path to it, answers with something built to break it.
#include <string>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// One Sunsky account "sun" and one Wangdiantong account "wdt", both pointed at `base_url`.
std::string config_at(const TempDir& dir, const std::string& base_url) {
    return "store: { path: " + (dir / "store.db").string() +
           " }\n"
           "http: { listen: \"off\" }\n"
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

}  // namespace
}  // namespace csync::it
