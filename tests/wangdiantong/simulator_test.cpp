// The simulator's gateway checks (sign over the raw body, timestamp window, version, count range),
// its paging by disable_syn_until and position, and its determinism.
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "core/json_util.hpp"
#include "tests_support.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {
namespace {

using nlohmann::json;

struct Gateway {
    testing::SimRig rig{30};
    Credentials creds = credentials_from(rig.account.credentials).value();

    std::int64_t now() const { return testing::kSimNow; }

    json call(std::string_view method, const std::string& body, std::int64_t at = 0,
              std::function<void(SimRequest&)> tamper = {}) {
        HttpRequest req = build_request("http://sim.invalid", creds, method, body, at ? at : now());
        SimRequest sr;
        sr.method = req.method;
        auto q = req.url.find('?');
        sr.path = "/openapi";
        sr.target = req.url.substr(req.url.find("/openapi"));
        sr.query = parse_form(req.url.substr(q + 1));
        sr.body = req.body;
        if (tamper) tamper(sr);
        SimResponse resp = rig.sim->handle(sr);
        last_date = "";
        for (const auto& [k, v] : resp.headers) {
            if (k == "Date") last_date = v;
        }
        return parse_json_exact(resp.body).value();
    }
    std::string last_date;
};

TEST(WangdiantongSimulator, AcceptsAProperlySignedCallAndStampsItsDate) {
    Gateway g;
    json r = g.call(kWaitList, "[10,0]");
    EXPECT_EQ(r["status"], 0) << r.dump();
    EXPECT_EQ(r["data"]["id_list"].size(), 10u);
    EXPECT_TRUE(r["data"].contains("position"));
    EXPECT_EQ(parse_http_date(g.last_date), testing::kSimNow);
}

TEST(WangdiantongSimulator, RejectsABadSignATamperedBodyAndWrongCredentials) {
    Gateway g;
    auto replace_param = [](SimRequest& r, const std::string& k, const std::string& v) {
        for (auto& [name, value] : r.query) {
            if (name == k) value = v;
        }
    };
    json bad_sign = g.call(kWaitList, "[10,0]", 0, [&](SimRequest& r) {
        replace_param(r, "sign", "00000000000000000000000000000000");
    });
    EXPECT_EQ(bad_sign["status"], 1);
    EXPECT_EQ(bad_sign["message"], "验证失败");

    // The gateway hashes the raw bytes: the same JSON with a space is another body.
    json tampered = g.call(kWaitList, "[10,0]", 0, [](SimRequest& r) { r.body = "[10, 0]"; });
    EXPECT_EQ(tampered["status"], 1);
    EXPECT_EQ(tampered["message"], "验证失败");

    json wrong_sid =
        g.call(kWaitList, "[10,0]", 0, [&](SimRequest& r) { replace_param(r, "sid", "other"); });
    EXPECT_EQ(wrong_sid["status"], 1);
    EXPECT_EQ(read_envelope(HttpResponse{200, {}, wrong_sid.dump()}, 0).error().kind,
              ErrorKind::auth);
}

TEST(WangdiantongSimulator, ChineseBodyVerifiesOverItsUtf8Bytes) {
    Gateway g;
    json listed = g.call(kWaitList, "[10,0]");
    const std::int64_t id = listed["data"]["id_list"][0].get<std::int64_t>();
    json calc = g.call(kCalcStock, "[" + std::to_string(id) + ",false]");
    ASSERT_EQ(calc["status"], 0);
    const std::string body = "[" + std::to_string(id) + R"(,{"stock_change_count":)" +
                             std::to_string(calc["data"]["stock_change_count"].get<int>()) +
                             R"(,"syn_result":"库存同步成功","stock_syn_rule_no":"默认策略"}])";
    json ack = g.call(kSyncSuccess, body);
    EXPECT_EQ(ack, json::parse(R"({"status":0})"));
    EXPECT_FALSE(g.rig.sim->is_waiting(id));
}

TEST(WangdiantongSimulator, TimestampWindowVersionAndCountRange) {
    Gateway g;
    EXPECT_EQ(g.call(kWaitList, "[10,0]", testing::kSimNow - 121)["status"], 7);
    EXPECT_EQ(g.call(kWaitList, "[10,0]", testing::kSimNow + 121)["status"], 7);
    EXPECT_EQ(g.call(kWaitList, "[10,0]", testing::kSimNow - 120)["status"], 0);
    EXPECT_EQ(g.call(kWaitList, "[10,0]", testing::kSimNow + 120)["status"], 0);

    g.rig.sim->set_clock_offset(-400);
    json skew = g.call(kWaitList, "[10,0]");
    EXPECT_EQ(skew["status"], 7);
    EXPECT_EQ(skew["message"], "时间戳错误");
    EXPECT_EQ(parse_http_date(g.last_date), testing::kSimNow - 400);
    g.rig.sim->set_clock_offset(0);

    // v is signed: re-sign with v=2.0.
    Credentials c = g.creds;
    auto params = public_params(c, kWaitList, testing::kSimNow);
    params["v"] = "2.0";
    SimRequest sr;
    sr.method = "POST";
    sr.path = "/openapi";
    sr.body = "[10,0]";
    for (const auto& [k, v] : params) sr.query.emplace_back(k, v);
    sr.query.emplace_back("sign", sign(c.secret, params, sr.body));
    EXPECT_EQ(parse_json_exact(g.rig.sim->handle(sr).body).value()["status"], 8);

    EXPECT_EQ(g.call(kWaitList, "[9,0]")["status"], 1);
    EXPECT_EQ(g.call(kWaitList, "[5001,0]")["status"], 1);
    EXPECT_EQ(g.call(kWaitList, R"(["10","0"])")["status"], 0);  // the doc's own example form
    EXPECT_EQ(g.call(kWaitList, "[10]")["status"], 1);
}

TEST(WangdiantongSimulator, ListingLeasesIdsAndPagesByDisableSynUntil) {
    Gateway g;
    json first = g.call(kWaitList, "[10,0]");
    json second = g.call(kWaitList,
                         "[10," + std::to_string(first["data"]["position"].get<long long>()) + "]");
    std::set<std::int64_t> seen;
    for (const auto& id : first["data"]["id_list"]) seen.insert(id.get<std::int64_t>());
    for (const auto& id : second["data"]["id_list"]) {
        EXPECT_TRUE(seen.insert(id.get<std::int64_t>()).second) << "listed twice while leased";
    }
    EXPECT_GE(second["data"]["position"].get<long long>(),
              first["data"]["position"].get<long long>());
    json third = g.call(kWaitList, "[5000,0]");
    EXPECT_EQ(third["data"]["id_list"].size(), 10u);  // 30 records, 20 leased
    EXPECT_EQ(g.rig.sim->waiting(), 30u);             // leased ids are still waiting

    json none = g.call(kWaitList, "[5000,0]");
    EXPECT_TRUE(none["data"]["id_list"].empty());
    EXPECT_FALSE(none["data"].contains("position"));

    // Unacknowledged ids come back once the lease ran out.
    g.rig.clock.advance(std::chrono::seconds{301});
    json again = g.call(kWaitList, "[5000,0]", testing::kSimNow + 301);
    EXPECT_EQ(again["data"]["id_list"].size(), 30u);
}

TEST(WangdiantongSimulator, ShorteningTheLeaseReTimesTheLeasesRunningNow) {
    Gateway g;
    json all = g.call(kWaitList, "[5000,0]");
    ASSERT_EQ(all["data"]["id_list"].size(), 30u);
    EXPECT_TRUE(g.call(kWaitList, "[5000,0]")["data"]["id_list"].empty());
    g.rig.sim->set_lease_seconds(1);
    EXPECT_TRUE(g.call(kWaitList, "[5000,0]")["data"]["id_list"].empty());  // not yet
    g.rig.clock.advance(std::chrono::seconds{2});
    json again = g.call(kWaitList, "[5000,0]", testing::kSimNow + 2);
    EXPECT_EQ(again["data"]["id_list"].size(), 30u);
    // The position never passes an id that comes back: re-listed ids sort after it.
    EXPECT_GE(again["data"]["position"].get<long long>(), all["data"]["position"].get<long long>());
}

// The readings of the notes' open question 4: without a lease a listed id stays where it was and
// is listed again from the same position; an exclusive position starts after the given value.
TEST(WangdiantongSimulator, ReadingsSwitchTheLeaseAndThePositionComparison) {
    Gateway g;
    g.rig.sim->set_lease_reading(false);
    json first = g.call(kWaitList, "[10,0]");
    json same = g.call(kWaitList, "[10,0]");
    EXPECT_EQ(first["data"], same["data"]) << "no lease: the same ids, the same position";
    const auto position = first["data"]["position"].get<long long>();
    const auto last = first["data"]["id_list"].back().get<std::int64_t>();
    json inclusive = g.call(kWaitList, "[10," + std::to_string(position) + "]");
    EXPECT_EQ(inclusive["data"]["id_list"][0].get<std::int64_t>(), last);
    g.rig.sim->set_exclusive_position(true);
    json exclusive = g.call(kWaitList, "[10," + std::to_string(position) + "]");
    for (const auto& id : exclusive["data"]["id_list"]) EXPECT_NE(id.get<std::int64_t>(), last);
    EXPECT_GT(exclusive["data"]["position"].get<long long>(), position);
    EXPECT_EQ(g.rig.sim->waiting(), 30u);
}

TEST(WangdiantongSimulator, RateLimitAnswersWithThePlatformText) {
    SimOptions o;
    o.products = 5;
    o.rate_limit_per_minute = 2;
    o.credentials = {{"sid", "s"}, {"key", "k"}, {"appsecret", "a:b"}};
    o.now = [] {
        return std::chrono::system_clock::time_point{std::chrono::seconds{testing::kSimNow}};
    };
    WangdiantongSimulator sim(o);
    json limited = parse_json_exact(sim.rate_limit_response().body).value();
    EXPECT_EQ(limited["status"], 100);
    EXPECT_EQ(limited["message"], std::string(kRateLimitCalls));
    EXPECT_EQ(read_envelope(HttpResponse{200, {}, sim.rate_limit_response().body}, 0).error().kind,
              ErrorKind::rate_limited);

    Credentials c = credentials_from(o.credentials).value();
    auto send = [&] {
        HttpRequest req = build_request("http://x", c, kWaitList, "[10,0]", testing::kSimNow);
        SimRequest sr;
        sr.method = "POST";
        sr.path = "/openapi";
        sr.query = parse_form(req.url.substr(req.url.find('?') + 1));
        sr.body = req.body;
        return parse_json_exact(sim.handle(sr).body).value();
    };
    EXPECT_EQ(send()["status"], 0);
    EXPECT_EQ(send()["status"], 0);
    EXPECT_EQ(send()["message"], std::string(kRateLimitCalls));
}

TEST(WangdiantongSimulator, DeterministicFromTheSeedAndMutateChangesStock) {
    testing::SimRig a(200, true, 50, 20, 11), b(200, true, 50, 20, 11), c(200, true, 50, 20, 12);
    EXPECT_EQ(a.sim->truth_ndjson(), b.sim->truth_ndjson());
    EXPECT_NE(a.sim->truth_ndjson(), c.sim->truth_ndjson());
    auto before = a.truth_stock();
    EXPECT_EQ(a.sim->mutate(15), 15u);
    EXPECT_EQ(b.sim->mutate(15), 15u);
    EXPECT_EQ(a.sim->truth_ndjson(), b.sim->truth_ndjson());
    auto after = a.truth_stock();
    int changed = 0;
    for (const auto& [id, q] : after) changed += before[id] != q;
    EXPECT_EQ(changed, 15);
    EXPECT_EQ(a.sim->mutate(100000), 200u);
}

TEST(WangdiantongSimulator, ControlRoutes) {
    testing::SimRig rig(20);
    SimRequest r;
    r.method = "GET";
    r.path = "/__sim/waiting";
    EXPECT_EQ(json::parse(rig.sim->control(r).body)["waiting"], 20);
    r.method = "POST";
    r.path = "/__sim/lease";
    r.query = {{"seconds", "7"}};
    EXPECT_EQ(json::parse(rig.sim->control(r).body)["lease_seconds"], 7);
    r.path = "/__sim/clock";
    r.query = {{"offset", "-400"}};
    EXPECT_EQ(json::parse(rig.sim->control(r).body)["offset"], -400);
    r.query = {{"offset", "soon"}};
    EXPECT_EQ(rig.sim->control(r).status, 400);
    r.path = "/__sim/reading";
    r.query = {{"lease", "off"}, {"position", "exclusive"}};
    auto reading = json::parse(rig.sim->control(r).body);
    EXPECT_EQ(reading["lease"], "off");
    EXPECT_EQ(reading["position"], "exclusive");
    r.query = {{"lease", "maybe"}};
    EXPECT_EQ(rig.sim->control(r).status, 400);
    r.path = "/__sim/nosuch";
    EXPECT_EQ(rig.sim->control(r).status, 404);

    SimOptions o;
    o.credentials = {{"sid", "s"}, {"key", "k"}, {"appsecret", "a:b"}};
    o.readings = {{"lease", "sometimes"}};
    EXPECT_THROW(WangdiantongSimulator{o}, std::runtime_error);
}

}  // namespace
}  // namespace csync::wangdiantong
