// Wangdiantong stock sync end to end: the real daemon against the real simulator.
#include <signal.h>

#include <random>

#include <gtest/gtest.h>

#include "csync/domain/decimal.hpp"
#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAppsecret = "it-secret:it-salt:with:colons";

struct WdtEnv {
    TempDir dir;
    std::unique_ptr<Simulator> sim;
    fs::path db;

    explicit WdtEnv(int recs, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {
            "--seed", "9",      "--products",  std::to_string(recs), "--sid",        "it-sid",
            "--key",  "it-key", "--appsecret", kAppsecret,           "--rate-limit", "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        sim = std::make_unique<Simulator>(dir, "wangdiantong", args);
        db = dir / "store.db";
        write_config(true);
    }

    void write_config(bool ack, int page_size = 200, int per_second = 1000) {
        write_file(dir / "config.yaml",
                   "store: { path: " + db.string() +
                       " }\n"
                       "accounts:\n"
                       "  - name: wdt-it\n"
                       "    platform: wangdiantong\n"
                       "    base_url: " +
                       sim->base_url() +
                       "\n"
                       "    credentials: { sid: it-sid, key: it-key, appsecret: \"" +
                       kAppsecret +
                       "\" }\n"
                       "    rate_limit: { per_second: " +
                       std::to_string(per_second) +
                       ", burst: 5 }\n"
                       "    request_timeout: 5s\n"
                       "    ack: " +
                       (ack ? "true" : "false") +
                       "\n"
                       "    streams:\n"
                       "      stock: { page_size: " +
                       std::to_string(page_size) + " }\n");
    }

    RunResult sync_once() {
        return run({syncd_bin(), "sync-once", "-c", (dir / "config.yaml").string()}, 300s);
    }

    long long waiting() { return sim->get_json("/__sim/waiting").value("waiting", -1LL); }

    void expect_stock_equals_truth() {
        std::map<std::string, std::string> truth;
        for (const auto& rec : sim->truth_records()) {
            const auto& v = rec.at("syn_stock");
            std::string text = v.is_string() ? v.get<std::string>() : v.dump();
            truth[std::to_string(rec.at("rec_id").get<long long>())] = Decimal::parse(text)->text();
        }
        std::map<std::string, std::string> stored;
        for (auto& r : query_rows(db,
                                  "SELECT external_id, quantity FROM stock_levels "
                                  "WHERE account='wdt-it'")) {
            stored[r[0]] = r[1];
        }
        EXPECT_EQ(stored.size(), truth.size());
        EXPECT_TRUE(stored == truth) << "stored stock differs from the simulator's truth";
    }
};

TEST(WangdiantongEndToEnd, StoredStockEqualsTruthAndEveryWaitingIdIsAcknowledged) {
    WdtEnv env(2000);
    ASSERT_GT(env.waiting(), 0);
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    env.expect_stock_equals_truth();
    EXPECT_EQ(env.waiting(), 0);
    EXPECT_EQ(query_one(env.db,
                        "SELECT count(*) FROM changes WHERE entity='stock_level' AND op='insert'"),
              "2000");
}

TEST(WangdiantongEndToEnd, ChangedStockIsPickedUpByTheNextCycle) {
    WdtEnv env(800);
    ASSERT_EQ(env.sync_once().exit_code, 0);
    env.sim->post_json("/__sim/mutate?count=60");
    EXPECT_GE(env.waiting(), 1);
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    env.expect_stock_equals_truth();
    EXPECT_EQ(env.waiting(), 0);
}

TEST(WangdiantongEndToEnd, CrashBetweenCommitAndAckLosesNothingAndDoubleAppliesNothing) {
    WdtEnv env(600);
    // ack: false stands for a crash right after each commit: stock stored, nothing acknowledged.
    env.write_config(/*ack=*/false);
    ASSERT_EQ(env.sync_once().exit_code, 0);
    env.expect_stock_equals_truth();
    EXPECT_EQ(env.waiting(), 600);
    auto inserts = query_one(env.db, "SELECT count(*) FROM changes WHERE entity='stock_level'");

    // The ERP re-delivers what was not acknowledged once its lease runs out.
    env.sim->post_json("/__sim/lease?seconds=1");
    std::this_thread::sleep_for(1500ms);
    env.write_config(/*ack=*/true);
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(env.waiting(), 0);
    env.expect_stock_equals_truth();
    // Applying the re-delivered ids again changed nothing.
    EXPECT_EQ(query_one(env.db, "SELECT count(*) FROM changes WHERE entity='stock_level'"),
              inserts);
}

TEST(WangdiantongEndToEnd, KillNineMidSyncThenResumeConverges) {
    WdtEnv env(3000);
    env.write_config(true, 50);
    env.sim->post_json("/__sim/faults", R"({"delay":1.0,"delay_ms":5})");
    env.sim->post_json("/__sim/lease?seconds=1");
    std::mt19937 rng(77);
    for (int i = 0; i < 3; ++i) {
        Process p({syncd_bin(), "sync-once", "-c", (env.dir / "config.yaml").string()},
                  env.dir / ("k" + std::to_string(i) + ".log"));
        std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 500));
        p.signal(SIGKILL);
        p.wait(5s);
    }
    env.sim->post_json("/__sim/faults", "{}");
    std::this_thread::sleep_for(1500ms);
    for (int pass = 0; pass < 3 && env.waiting() != 0; ++pass) {
        auto r = env.sync_once();
        ASSERT_EQ(r.exit_code, 0) << r.output;
        std::this_thread::sleep_for(
            1200ms);  // ids handed out but not acked come back after the lease
    }
    EXPECT_EQ(env.waiting(), 0);
    env.expect_stock_equals_truth();
    // Each rec_id was inserted exactly once; later passes found nothing new to apply.
    EXPECT_EQ(query_one(env.db,
                        "SELECT count(*) FROM changes WHERE entity='stock_level' AND op='insert'"),
              "3000");
    EXPECT_EQ(query_one(env.db,
                        "SELECT count(*) FROM changes WHERE entity='stock_level' AND op='update'"),
              "0");
}

// The same under every reading of the ERP's open points (notes, open question 4): with or
// without a lease on listed ids, `>=` or `>` position. Stock changes between the kills and a few
// ids fail their calc until the end; then syncs until quiet leave nothing waiting that could be
// synced and every id stored with the ERP's figure.
class WangdiantongEveryReading
    : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(WangdiantongEveryReading, KillNineSixTimesMidSyncThenSyncToQuietConverges) {
    const auto [lease, position] = GetParam();
    WdtEnv env(2000, {"--reading", std::string("lease=") + lease, "--reading",
                      std::string("position=") + position});
    env.write_config(true, 50);
    env.sim->post_json("/__sim/faults", R"({"delay":1.0,"delay_ms":5})");
    env.sim->post_json("/__sim/lease?seconds=1");
    const auto records = env.sim->truth_records();
    std::vector<long long> failing;
    for (std::size_t i = 7; i < records.size(); i += 50) {
        failing.push_back(records[i].at("rec_id").get<long long>());
        env.sim->post_json("/__sim/calc_fail?rec_id=" + std::to_string(failing.back()));
    }
    std::mt19937 rng(91);
    for (int i = 0; i < 6; ++i) {
        Process p({syncd_bin(), "sync-once", "-c", (env.dir / "config.yaml").string()},
                  env.dir / ("k" + std::to_string(i) + ".log"));
        std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 400));
        p.signal(SIGKILL);
        p.wait(5s);
        env.sim->post_json("/__sim/mutate?count=20");
    }
    env.sim->post_json("/__sim/faults", "{}");
    for (long long id : failing) {
        env.sim->post_json("/__sim/calc_fail?rec_id=" + std::to_string(id) + "&on=0");
    }
    std::this_thread::sleep_for(1200ms);  // leases handed out before the kills run out
    for (int pass = 0; pass < 5 && env.waiting() != 0; ++pass) {
        auto r = env.sync_once();
        ASSERT_EQ(r.exit_code, 0) << r.output;
        std::this_thread::sleep_for(1200ms);
    }
    EXPECT_EQ(env.waiting(), 0) << "ids left waiting that the daemon could have synced";
    EXPECT_EQ(query_one(env.db, "SELECT count(*) FROM stock_levels WHERE account='wdt-it'"), "2000")
        << "ids never stored";
    env.expect_stock_equals_truth();
    EXPECT_EQ(query_one(env.db, "PRAGMA integrity_check"), "ok");
}

INSTANTIATE_TEST_SUITE_P(
    Readings, WangdiantongEveryReading,
    ::testing::Values(std::pair{"on", "inclusive"}, std::pair{"on", "exclusive"},
                      std::pair{"off", "inclusive"}, std::pair{"off", "exclusive"}),
    [](const auto& param_info) {
        return std::string(param_info.param.first[1] == 'n' ? "Lease" : "NoLease") +
               (param_info.param.second[0] == 'i' ? "Inclusive" : "Exclusive");
    });

// 500 acknowledgements at 5 a second would take 100 s; SIGTERM must not wait for them. The page
// committed before the acknowledgements stays; what was not acknowledged the ERP re-delivers.
TEST(WangdiantongEndToEnd, SigtermDuringSlowAcknowledgementsExitsWithoutTheForcedExit) {
    WdtEnv env(500);
    env.write_config(true, 500, 5);
    Process p({syncd_bin(), "sync-once", "-c", (env.dir / "config.yaml").string()},
              env.dir / "daemon.log");
    ASSERT_TRUE(eventually(
        [&] { return query_when_ready(env.db, "SELECT count(*) FROM stock_levels") == "500"; },
        60s))
        << p.output();
    std::this_thread::sleep_for(500ms);  // acknowledgements under way
    p.signal(SIGTERM);
    auto code = p.wait(10s);
    ASSERT_TRUE(code.has_value()) << "still running 10 s after SIGTERM";
    EXPECT_EQ(*code, 0) << p.output();
    EXPECT_EQ(p.output().find("stop took longer"), std::string::npos) << p.output();
    EXPECT_EQ(query_one(env.db, "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(query_one(env.db, "SELECT count(*) FROM stock_levels"), "500");
    const long long waiting = env.waiting();
    EXPECT_GT(waiting, 0) << "the acknowledgements were cut short";
    EXPECT_LT(waiting, 500) << "some acknowledgements went out before the stop";

    // The next run re-delivers and converges.
    env.write_config(true, 500);
    env.sim->post_json("/__sim/lease?seconds=0");
    auto r = env.sync_once();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(env.waiting(), 0);
    env.expect_stock_equals_truth();
}

TEST(WangdiantongEndToEnd, ApiSendsOneSignedCallThatTheGatewayAccepts) {
    WdtEnv env(30);
    auto r = run({syncd_bin(), "api", "-c", (env.dir / "config.yaml").string(), "wdt-it",
                  "sales.StockSync.getSelfWaitSyncIdListOpen", "--body", "[10,0]"},
                 30s);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto body = r.output.substr(r.output.find('{'));
    auto doc = nlohmann::json::parse(body.substr(0, body.rfind('}') + 1));
    EXPECT_EQ(doc.value("status", -1), 0) << body;  // 1 would be 验证失败 (bad sign)
    EXPECT_EQ(doc["data"]["id_list"].size(), 10u) << body;
    EXPECT_EQ(r.output.find("it-salt"), std::string::npos) << r.output;
    // A read-only call: nothing was acknowledged, every id still waits.
    EXPECT_EQ(env.waiting(), 30);

    // Refusals come inside HTTP 200 with a status; the exit code says what they meant.
    auto malformed = run({syncd_bin(), "api", "-c", (env.dir / "config.yaml").string(), "wdt-it",
                          "sales.StockSync.getSelfWaitSyncIdListOpen", "--body", "[5,0]"},
                         30s);
    EXPECT_EQ(malformed.exit_code, 1) << malformed.output;
    EXPECT_NE(malformed.output.find("count"), std::string::npos) << malformed.output;
    EXPECT_NE(malformed.output.find("the platform answered with an error: config"),
              std::string::npos)
        << malformed.output;

    write_file(
        env.dir / "config.yaml",
        "accounts:\n"
        "  - name: wdt-it\n"
        "    platform: wangdiantong\n"
        "    base_url: " +
            env.sim->base_url() +
            "\n"
            "    credentials: { sid: it-sid, key: it-key, appsecret: \"it-secret:wrong-salt\" }\n");
    auto rejected = run({syncd_bin(), "api", "-c", (env.dir / "config.yaml").string(), "wdt-it",
                         "sales.StockSync.getSelfWaitSyncIdListOpen", "--body", "[10,0]"},
                        30s);
    EXPECT_EQ(rejected.exit_code, 4) << rejected.output;
    EXPECT_NE(rejected.output.find("the platform answered with an error: auth"), std::string::npos)
        << rejected.output;
    EXPECT_EQ(rejected.output.find("wrong-salt"), std::string::npos) << rejected.output;
}

TEST(WangdiantongEndToEnd, DryRunShowsOnePageAndWritesOrAcknowledgesNothing) {
    WdtEnv env(30);
    auto r =
        run({syncd_bin(), "sync-once", "--dry-run", "-c", (env.dir / "config.yaml").string()}, 60s);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("wdt-it/stock: 30 stock levels"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("first stock level: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("nothing was written"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("it-salt"), std::string::npos) << r.output;
    // No acknowledgement went out, and no database was created.
    EXPECT_EQ(env.waiting(), 30);
    EXPECT_FALSE(fs::exists(env.db));

    // After a real sync, a dry run starts from the stored position.
    ASSERT_EQ(env.sync_once().exit_code, 0);
    const std::string stored =
        query_one(env.db, "SELECT cursor FROM sync_state WHERE account='wdt-it'");
    auto again =
        run({syncd_bin(), "sync-once", "--dry-run", "-c", (env.dir / "config.yaml").string()}, 60s);
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("from cursor " + stored), std::string::npos) << stored << "\n"
                                                                             << again.output;
}

TEST(WangdiantongEndToEnd, ClockSkewIsReportedWithTheMeasuredOffset) {
    WdtEnv env(50);
    env.sim->post_json("/__sim/clock?offset=-400");
    auto r = env.sync_once();
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("clock"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("400"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("it-salt"), std::string::npos) << "salt leaked:\n" << r.output;
}

TEST(WangdiantongEndToEnd, RateLimitAnswersBackOffAndStopPromptly) {
    WdtEnv env(50);
    env.sim->post_json("/__sim/faults", R"({"rate_limit":1.0})");
    Process p({syncd_bin(), "sync-once", "-c", (env.dir / "config.yaml").string()},
              env.dir / "rl.log");
    ASSERT_TRUE(
        eventually([&] { return p.output().find("rate_limited") != std::string::npos; }, 30s))
        << p.output();
    EXPECT_TRUE(p.running()) << "a rate-limit answer must back off, not fail: " << p.output();
    p.signal(SIGTERM);
    auto code = p.wait(10s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << p.output();
}

}  // namespace
}  // namespace csync::it
