// Qianmi end to end: the real daemon against the real simulator over loopback: discovery passes,
// deletions confirmed before they are written, and the rotating token across refreshes and
// crashes.
#include <signal.h>

#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "csync/domain/decimal.hpp"
#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAppKey = "it-app-key";
constexpr const char* kAppSecret = "it-app-secret-value";
constexpr const char* kAccount = "qianmi-it";

std::string config_for(const TempDir& dir, const std::string& url, int per_second,
                       const std::string& stream_options = "") {
    return "store: { path: " + (dir / "store.db").string() +
           " }\n"
           "log: { level: info, format: text }\n"
           "http: { listen: \"127.0.0.1:0\" }\n"
           "accounts:\n"
           "  - name: " +
           kAccount +
           "\n"
           "    platform: qianmi\n"
           "    base_url: " +
           url +
           "/api\n"
           "    token_url: " +
           url +
           "/token\n"
           "    credentials: { app_key: " +
           kAppKey + ", app_secret: " + kAppSecret +
           ", access_token: sim-access-token, refresh_token: sim-refresh-token }\n"
           "    rate_limit: { per_second: " +
           std::to_string(per_second) +
           ", burst: 20 }\n"
           "    request_timeout: 5s\n"
           "    streams:\n"
           "      items: { interval: 1h" +
           stream_options + " }\n";
}

struct Env {
    TempDir dir;
    std::unique_ptr<Simulator> sim;
    fs::path config;
    fs::path db;

    explicit Env(int items, std::vector<std::string> sim_args = {}, int per_second = 2000,
                 const std::string& stream_options = "") {
        std::vector<std::string> args = {"--seed",       "7",
                                         "--products",   std::to_string(items),
                                         "--rate-limit", "0",
                                         "--cred",       std::string("app_key=") + kAppKey,
                                         "--cred",       std::string("app_secret=") + kAppSecret};
        args.insert(args.end(), sim_args.begin(), sim_args.end());
        sim = std::make_unique<Simulator>(dir, "qianmi", args);
        config = dir / "config.yaml";
        db = dir / "store.db";
        write_file(config, config_for(dir, sim->base_url(), per_second, stream_options));
    }

    std::vector<std::string> syncd(const std::string& verb) const {
        return {syncd_bin(), verb, "-c", config.string()};
    }
    RunResult sync_once() { return run(syncd("sync-once"), 120s); }

    nlohmann::json qianmi_stats() { return sim->get_json("/__sim/qianmi/stats"); }
    long long calls(const std::string& method) {
        return qianmi_stats()["calls"].value(method, 0LL);
    }
    nlohmann::json tokens() { return sim->get_json("/__sim/qianmi/tokens"); }
    std::string stored_state(const std::string& name) {
        return query_one(db, "SELECT coalesce((SELECT value FROM account_state WHERE account='" +
                                 std::string(kAccount) + "' AND name='" + name + "'), '')");
    }
};

// The live item rows equal the simulator's truth (ids, exact prices, stock, titles, status), and
// every other row of the pass's scope is a tombstone.
void expect_store_equals_truth(Env& env) {
    auto truth = env.sim->truth_records();
    ASSERT_FALSE(truth.empty());
    auto rows = query_rows(env.db,
                           "SELECT external_id, price, stock, title, status FROM products "
                           "WHERE account='qianmi-it' AND scope='items'");
    std::map<std::string, std::vector<std::string>> stored;
    for (auto& r : rows) stored[r[0]] = r;
    std::set<std::string> live;
    int mismatches = 0;
    for (const auto& rec : truth) {
        const std::string id = rec.at("num_iid").get<std::string>();
        live.insert(id);
        auto it = stored.find(id);
        if (it == stored.end()) {
            ADD_FAILURE() << "missed item " << id;
            if (++mismatches > 5) return;
            continue;
        }
        const std::string price = rec.at("price").is_string() ? rec.at("price").get<std::string>()
                                                              : rec.at("price").dump();
        const std::string stock =
            rec.at("num").is_string() ? rec.at("num").get<std::string>() : rec.at("num").dump();
        const bool on_sale = rec.value("d2c_approve_status", "") == "onsale" ||
                             rec.value("d2p_approve_status", "") == "onsale";
        if (it->second[1] != Decimal::parse(price)->text() || it->second[2] != stock ||
            it->second[3] != rec.at("title").get<std::string>() ||
            it->second[4] != (on_sale ? "active" : "inactive")) {
            ADD_FAILURE() << id << " differs: stored " << it->second[1] << " " << it->second[2]
                          << " " << it->second[3] << " " << it->second[4] << ", truth "
                          << rec.dump();
            if (++mismatches > 5) return;
        }
    }
    for (const auto& [id, row] : stored) {
        if (!live.count(id) && row[4] != "deleted") {
            ADD_FAILURE() << "item " << id << " is gone from the platform but stored as " << row[4];
            if (++mismatches > 5) return;
        }
    }
}

// Rows are stamped in whole seconds: a new pass must start in a later second than the last one
// touched them to tell them apart.
void next_second() { std::this_thread::sleep_for(1100ms); }

TEST(QianmiEndToEnd, PassEqualsTruthAndAChangedItemCostsOneBatchSlot) {
    Env env(320);
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_store_equals_truth(env);
    EXPECT_EQ(query_one(env.db,
                        "SELECT count(*) FROM products WHERE source_modified_at NOT LIKE "
                        "'____-__-__T__:__:__Z' OR currency <> 'CNY'"),
              "0");
    EXPECT_EQ(query_one(env.db, "SELECT count(*) FROM products WHERE platform_status IS NULL"),
              "0");

    const auto ids = env.sim->truth_records();
    const std::string touched = ids[ids.size() / 2].at("num_iid").get<std::string>();
    next_second();
    env.sim->post_json("/__sim/qianmi/touch?num_iid=" + touched);
    const long long batches_before = env.calls("qianmi.cloudshop.items.list.get");
    const long long listings_before = env.calls("qianmi.cloudshop.items.all.list");
    r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // One id changed: one items.list.get call. The listing is paged again (the whole list and
    // the tie groups at its page edges), which costs no detail call for unchanged items.
    EXPECT_EQ(env.calls("qianmi.cloudshop.items.list.get") - batches_before, 1);
    EXPECT_GE(env.calls("qianmi.cloudshop.items.all.list") - listings_before, 7);
    expect_store_equals_truth(env);
    EXPECT_EQ(query_one(env.db, "SELECT count(*) FROM changes WHERE external_id='" + touched +
                                    "' AND op='update'"),
              "1");
}

TEST(QianmiEndToEnd, ItemsChangedMovedAndDeletedDuringAPassAreNeitherMissedNorWronglyDeleted) {
    // 5,000 items paged 50 at a time at 200 calls/s: the pass takes about a second, long enough
    // for 100 changes (edits, additions, deletions that shift the listing) to land inside it.
    Env env(5000, {}, 200);
    Process pass(env.syncd("sync-once"), env.dir / "pass1.log");
    ASSERT_TRUE(eventually([&] { return env.calls("qianmi.cloudshop.items.all.list") >= 5; }, 20s));
    for (int burst = 0; burst < 10; ++burst) {
        env.sim->post_json("/__sim/mutate?count=10");
        std::this_thread::sleep_for(40ms);
    }
    auto code = pass.wait(120s);
    ASSERT_TRUE(code.has_value());
    ASSERT_EQ(*code, 0) << pass.output();

    next_second();
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_store_equals_truth(env);
    // Deletions were confirmed by id before they were written, each with its change row.
    EXPECT_EQ(query_one(env.db, "SELECT count(*) FROM products WHERE status='deleted'"),
              query_one(env.db,
                        "SELECT count(DISTINCT external_id) FROM changes WHERE "
                        "op='delete'"));
}

TEST(QianmiEndToEnd, ATokenRevokedMidPassIsRefreshedOnceAndThePassGoesOn) {
    Env env(3000, {}, 150);
    Process pass(env.syncd("sync-once"), env.dir / "pass.log");
    ASSERT_TRUE(
        eventually([&] { return env.calls("qianmi.cloudshop.items.all.list") >= 10; }, 20s));
    env.sim->post_json("/__sim/qianmi/revoke");
    auto code = pass.wait(120s);
    ASSERT_TRUE(code.has_value());
    ASSERT_EQ(*code, 0) << pass.output();
    expect_store_equals_truth(env);
    const auto tokens = env.tokens();
    EXPECT_EQ(tokens.value("refreshes", 0), 1);
    // The rotated pair is in the account state, and never in the log.
    EXPECT_EQ(env.stored_state("token.refresh"), tokens.value("refresh_token", ""));
    EXPECT_EQ(env.stored_state("token.access"), tokens.value("access_token", ""));
    EXPECT_EQ(pass.output().find(tokens.value("refresh_token", "")), std::string::npos);
    EXPECT_EQ(pass.output().find(kAppSecret), std::string::npos);
}

TEST(QianmiEndToEnd, TokensThatExpireDuringAPassAreRefreshedOnceEachTime) {
    // Tokens live 2 s; the pass takes several: each expiry costs one refresh, not one per call.
    Env env(3000, {"--token-ttl", "2"}, 150);
    const auto started = std::chrono::steady_clock::now();
    auto r = env.sync_once();
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_store_equals_truth(env);
    const int refreshes = env.tokens().value("refreshes", 0);
    EXPECT_GE(refreshes, 1);
    EXPECT_LE(refreshes, seconds / 1 + 2);  // at most one per half lifetime
    EXPECT_EQ(env.stored_state("token.refresh"), env.tokens().value("refresh_token", ""));
}

TEST(QianmiEndToEnd, KilledRightAfterARefreshTheDaemonRestartsWithoutReauthorisation) {
    Env env(3000, {}, 150);
    auto daemon = std::make_unique<Process>(env.syncd("run"), env.dir / "daemon1.log");
    ASSERT_TRUE(
        eventually([&] { return env.calls("qianmi.cloudshop.items.all.list") >= 10; }, 20s));
    env.sim->post_json("/__sim/qianmi/revoke");
    // The moment the rotated pair is in the database, the process dies.
    ASSERT_TRUE(eventually(
        [&] {
            const auto tokens = env.tokens();
            return tokens.value("refreshes", 0) == 1 &&
                   env.stored_state("token.refresh") == tokens.value("refresh_token", "");
        },
        20s))
        << daemon->output();
    daemon->signal(SIGKILL);
    daemon->wait(5s);

    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_store_equals_truth(env);
    EXPECT_EQ(env.tokens().value("refreshes", 0), 1);  // the stored pair was good as it was
    EXPECT_EQ(query_one(env.db, "SELECT state FROM accounts WHERE name='qianmi-it'"), "ok");
}

TEST(QianmiEndToEnd, ASighupRebuildSignsWithTheRotatedPairNotTheConfiguredOne) {
    Env env(3000, {}, 150);
    auto daemon = std::make_unique<Process>(env.syncd("run"), env.dir / "daemon.log");
    ASSERT_TRUE(eventually([&] { return env.calls("qianmi.cloudshop.items.all.list") >= 5; }, 20s));
    env.sim->post_json("/__sim/qianmi/revoke");
    ASSERT_TRUE(eventually([&] { return env.tokens().value("refreshes", 0) == 1; }, 20s))
        << daemon->output();
    // Reloaded with an unchanged configuration: its (now dead) first pair must not come back.
    daemon->signal(SIGHUP);
    ASSERT_TRUE(eventually(
        [&] {
            return daemon->output().find("SIGHUP: configuration reloaded") != std::string::npos;
        },
        10s));
    ASSERT_TRUE(eventually(
        [&] { return std::stoi(query_one(env.db, "SELECT count(*) FROM sync_runs")) >= 2; }, 20s));
    env.sim->post_json("/__sim/qianmi/revoke");
    ASSERT_TRUE(eventually([&] { return env.tokens().value("refreshes", 0) == 2; }, 20s))
        << daemon->output();
    daemon->signal(SIGTERM);
    ASSERT_EQ(daemon->wait(15s), std::optional<int>(0)) << daemon->output();
    EXPECT_EQ(query_one(env.db, "SELECT state FROM accounts WHERE name='qianmi-it'"), "ok");
    EXPECT_EQ(env.stored_state("token.refresh"), env.tokens().value("refresh_token", ""));
}

TEST(QianmiEndToEnd, ARefusedRefreshParksTheAccountWithWhatToDo) {
    Env env(100);
    // The configured pair is not the simulator's: the gateway refuses the token, and the token
    // endpoint refuses the refresh token.
    write_file(env.config,
               read_file(env.config)
                   .replace(read_file(env.config).find("sim-refresh-token"),
                            std::string("sim-refresh-token").size(), "stale-refresh-token"));
    env.sim->post_json("/__sim/qianmi/revoke");
    auto r = env.sync_once();
    EXPECT_EQ(r.exit_code, 4) << r.output;
    EXPECT_NE(r.output.find("authorise the app"), std::string::npos) << r.output;
    EXPECT_EQ(query_one(env.db, "SELECT state FROM accounts WHERE name='qianmi-it'"), "parked");
}

TEST(QianmiEndToEnd, QuotaAnswersSlowTheAccountWithoutFailingTheRun) {
    Env env(150);
    env.sim->post_json("/__sim/faults", R"({"rate_limit":0.15,"seed":11})");
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    env.sim->post_json("/__sim/faults", "{}");
    expect_store_equals_truth(env);
    EXPECT_GT(std::stoll(query_one(env.db, "SELECT sum(requests) FROM sync_runs")),
              env.calls("qianmi.cloudshop.items.all.list") +
                  env.calls("qianmi.cloudshop.items.list.get"));
}

TEST(QianmiEndToEnd, ApiUsesTheStoredTokenAndNeverRefreshes) {
    Env env(60);
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    env.sim->post_json("/__sim/qianmi/revoke");
    // The daemon's copy is refreshed by the daemon only.
    auto api =
        run({syncd_bin(), "api", "-c", env.config.string(), kAccount,
             "qianmi.cloudshop.items.list.get", "-p", "fields=num_iid,title", "-p", "num_iids=x1"},
            30s);
    EXPECT_EQ(api.exit_code, 4) << api.output;
    EXPECT_NE(api.output.find("never refreshes"), std::string::npos) << api.output;
    EXPECT_EQ(env.tokens().value("refreshes", 0), 0);
    auto dry = run({syncd_bin(), "sync-once", "--dry-run", "-c", env.config.string()}, 30s);
    EXPECT_EQ(dry.exit_code, 4) << dry.output;
    EXPECT_NE(dry.output.find("never refreshes"), std::string::npos) << dry.output;
    EXPECT_EQ(env.tokens().value("refreshes", 0), 0);

    r = env.sync_once();  // the daemon refreshes
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_EQ(env.tokens().value("refreshes", 0), 1);
    const std::string id = env.sim->truth_records().front().at("num_iid").get<std::string>();
    api = run(
        {syncd_bin(), "api", "-c", env.config.string(), kAccount, "qianmi.cloudshop.items.list.get",
         "-p", "fields=num_iid,title", "-p", "num_iids=" + id},
        30s);
    EXPECT_EQ(api.exit_code, 0) << api.output;  // signed with the stored, refreshed token
    EXPECT_NE(api.output.find(id), std::string::npos) << api.output;
}

}  // namespace
}  // namespace csync::it
