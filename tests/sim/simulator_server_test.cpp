// SimulatorServer around a tiny fake platform, driven over loopback by the real HTTP client.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "net/beast_http_client.hpp"
#include "net/io_runner.hpp"
#include "sim/fault_injector.hpp"
#include "sim/simulator_server.hpp"

namespace csync::sim {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;

// Ten records {id, v}; calls are counted; one platform-specific control route (/__sim/clock).
class FakePlatform : public SimulatedPlatform {
  public:
    FakePlatform() : values_(10, 0) {}

    SimResponse handle(const SimRequest& request) override {
        ++calls;
        SimResponse r;
        if (request.path == "/api/empty") {
            r.body.clear();
            return r;
        }
        r.body = json{{"path", request.path}, {"call", calls}}.dump();
        return r;
    }

    std::string truth_ndjson() override {
        std::string out;
        for (std::size_t i = 0; i < values_.size(); ++i) {
            out += json{{"id", i}, {"v", values_[i]}}.dump() + "\n";
        }
        return out;
    }

    std::size_t mutate(std::size_t count) override {
        const std::size_t n = std::min(count, values_.size());
        for (std::size_t i = 0; i < n; ++i) {
            ++values_[i];
        }
        return n;
    }

    SimResponse rate_limit_response() const override {
        SimResponse r;
        r.body = R"({"result":"error","messages":["UP_TO_API_CALL_LIMIT_IN_MINUTE"]})";
        return r;
    }

    SimResponse control(const SimRequest& request) override {
        if (request.path == "/__sim/clock") {
            SimResponse r;
            r.body = json{{"offset", request.query_param("offset")}}.dump();
            return r;
        }
        return SimulatedPlatform::control(request);
    }

    // A platform with tokens revokes its current one; this one has tokens when `has_token`.
    bool revoke_token() override {
        revocations += has_token ? 1 : 0;
        return has_token;
    }

    int calls = 0;
    bool has_token = true;
    int revocations = 0;

  private:
    std::vector<int> values_;
};

class SimulatorServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto platform = std::make_unique<FakePlatform>();
        platform_ = platform.get();
        server_ = std::make_unique<SimulatorServer>(ioc_.get_executor(), std::move(platform),
                                                    HttpServerOptions{});
        auto started = server_->start();
        ASSERT_TRUE(started.ok()) << started.error().describe();
    }

    Result<HttpResponse> call(const std::string& method, const std::string& target,
                              const std::string& body = "") {
        HttpRequest request;
        request.method = method;
        request.url = "http://127.0.0.1:" + std::to_string(server_->port()) + target;
        request.body = body;
        request.timeout = 10s;
        return testing::run(ioc_, client_.send(request));
    }

    json call_json(const std::string& method, const std::string& target,
                   const std::string& body = "") {
        auto r = call(method, target, body);
        if (!r.ok()) {
            ADD_FAILURE() << method << ' ' << target << ": " << r.error().describe();
            return nullptr;
        }
        return json::parse(r->body, nullptr, false);
    }

    void set_faults(const std::string& settings) {
        auto r = call("POST", "/__sim/faults", settings);
        ASSERT_TRUE(r.ok()) << r.error().describe();
        ASSERT_EQ(r->status, 200) << r->body;
    }

    asio::io_context ioc_;
    FakePlatform* platform_ = nullptr;
    std::unique_ptr<SimulatorServer> server_;
    BeastHttpClient client_{ioc_.get_executor(), HttpClientOptions{}};
};

TEST_F(SimulatorServerTest, PlatformCallsReachThePlatform) {
    auto r = call("POST", "/api/products?page=1", "a=b");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(r->body), (json{{"path", "/api/products"}, {"call", 1}}));
    EXPECT_EQ(platform_->calls, 1);
}

TEST_F(SimulatorServerTest, TruthIsNdjsonAndMutateChangesIt) {
    auto before = call("GET", "/__sim/truth");
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(before->status, 200);
    EXPECT_EQ(before->header("Content-Type"), "application/x-ndjson");
    EXPECT_EQ(before->body, platform_->truth_ndjson());
    EXPECT_EQ(std::count(before->body.begin(), before->body.end(), '\n'), 10);

    EXPECT_EQ(call_json("POST", "/__sim/mutate?count=3"), (json{{"mutated", 3}}));
    auto after = call("GET", "/__sim/truth");
    ASSERT_TRUE(after.ok());
    EXPECT_NE(after->body, before->body);
    EXPECT_EQ(after->body.find(R"({"id":0,"v":1})"), 0u);
    // The platform reports how many it could change.
    EXPECT_EQ(call_json("POST", "/__sim/mutate?count=50"), (json{{"mutated", 10}}));
    // Control calls are not platform calls.
    EXPECT_EQ(platform_->calls, 0);
}

TEST_F(SimulatorServerTest, ControlRoutesRejectBadInput) {
    auto bad_count = call("POST", "/__sim/mutate?count=many");
    ASSERT_TRUE(bad_count.ok());
    EXPECT_EQ(bad_count->status, 400);
    EXPECT_EQ(json::parse(bad_count->body)["error"],
              "count must be a non-negative integer, got 'many'");

    auto wrong_method = call("GET", "/__sim/mutate?count=1");
    ASSERT_TRUE(wrong_method.ok());
    EXPECT_EQ(wrong_method->status, 405);
    EXPECT_EQ(wrong_method->header("Allow"), "POST");

    auto bad_faults = call("POST", "/__sim/faults", R"({"reset":2})");
    ASSERT_TRUE(bad_faults.ok());
    EXPECT_EQ(bad_faults->status, 400);
    EXPECT_EQ(json::parse(bad_faults->body)["error"],
              "fault settings: 'reset' must be a probability between 0 and 1, got 2");

    auto unknown_key = call("POST", "/__sim/faults", R"({"explode":0.5})");
    ASSERT_TRUE(unknown_key.ok());
    EXPECT_EQ(unknown_key->status, 400);
    EXPECT_NE(unknown_key->body.find("unknown key 'explode'"), std::string::npos);
}

TEST_F(SimulatorServerTest, FaultSettingsAreEchoedShownAndCleared) {
    const json set = call_json("POST", "/__sim/faults",
                               R"({"http_500":0.1,"delay":0.1,"delay_ms":500,"reset":0.05,)"
                               R"("truncate":0.05,"non_json":0.05,"rate_limit":0.05,"seed":7})");
    EXPECT_EQ(set, json::parse(R"({"http_500":0.1,"delay":0.1,"delay_ms":500,"reset":0.05,)"
                               R"("truncate":0.05,"non_json":0.05,"rate_limit":0.05,"seed":7,)"
                               R"("deep_nesting":0.0,"nesting_depth":200000,"huge_body":0.0,)"
                               R"("huge_body_bytes":68157440,"token_revoked":0.0})"));
    EXPECT_EQ(call_json("GET", "/__sim/faults"), set);
    const json cleared = call_json("POST", "/__sim/faults", "{}");
    EXPECT_EQ(cleared, json::parse(fault_settings_json(FaultSettings{})));
    EXPECT_EQ(cleared["http_500"], 0.0);
}

TEST_F(SimulatorServerTest, PlatformControlRoutesPassThrough) {
    EXPECT_EQ(call_json("POST", "/__sim/clock?offset=-400"), (json{{"offset", "-400"}}));
    auto unknown = call("GET", "/__sim/nothing-here");
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->status, 404);
}

TEST_F(SimulatorServerTest, Http500Fault) {
    set_faults(R"({"http_500":1.0})");
    auto r = call("GET", "/api/x");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(json::parse(r->body)["error"], "simulated internal server error");
    EXPECT_EQ(platform_->calls, 0);
}

TEST_F(SimulatorServerTest, ResetFaultDropsTheConnection) {
    set_faults(R"({"reset":1.0})");
    auto r = call("GET", "/api/x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient) << r.error().describe();
    EXPECT_EQ(platform_->calls, 0);
}

TEST_F(SimulatorServerTest, TruncateFaultCutsTheRealAnswer) {
    set_faults(R"({"truncate":1.0})");
    auto r = call("GET", "/api/x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient);
    EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;
    EXPECT_EQ(platform_->calls, 1);
}

TEST_F(SimulatorServerTest, TruncateFaultPadsAnEmptyAnswerSoItIsReallyCut) {
    set_faults(R"({"truncate":1.0})");
    ServerRequest request;
    request.method = "GET";
    request.target = request.path = "/api/empty";
    const ServerResponse r = server_->handle(request);
    EXPECT_EQ(r.fault, TransportFault::truncate);
    EXPECT_GE(r.body.size(), 2u);
}

TEST_F(SimulatorServerTest, NonJsonFaultAnswersAGatewayPageWith200) {
    set_faults(R"({"non_json":1.0})");
    auto r = call("GET", "/api/x");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "<html>502 Bad Gateway</html>");
    EXPECT_EQ(r->header("Content-Type"), "text/html");
}

TEST_F(SimulatorServerTest, RateLimitFaultAnswersThePlatformsOwnRefusal) {
    set_faults(R"({"rate_limit":1.0})");
    auto r = call("GET", "/api/x");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->body, platform_->rate_limit_response().body);
    EXPECT_EQ(platform_->calls, 0);
}

TEST_F(SimulatorServerTest, TokenRevokedFaultRevokesThenLetsThePlatformAnswer) {
    set_faults(R"({"token_revoked":1.0})");
    ASSERT_TRUE(call("GET", "/api/x").ok());
    EXPECT_EQ(platform_->revocations, 1);
    EXPECT_EQ(platform_->calls, 1);
    EXPECT_EQ(call_json("GET", "/__sim/stats")["faults"], (json{{"token_revoked", 1}}));
    // Without tokens the call is answered as usual and no fault is counted.
    platform_->has_token = false;
    ASSERT_TRUE(call("GET", "/api/x").ok());
    EXPECT_EQ(platform_->calls, 2);
    EXPECT_EQ(call_json("GET", "/__sim/stats")["faults"], (json{{"token_revoked", 1}}));
}

TEST_F(SimulatorServerTest, DeepNestingFaultAnswersASuccessEnvelopeNestedAsDeepAsAsked) {
    set_faults(R"({"deep_nesting":1.0,"nesting_depth":1000})");
    auto r = call("GET", "/api/x");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200);
    const std::string open = R"({"result":"success","code":0,"data":)";
    ASSERT_EQ(r->body.size(), open.size() + 2000 + 1);
    EXPECT_EQ(r->body.substr(0, open.size()), open);
    EXPECT_EQ(r->body.substr(open.size(), 1000), std::string(1000, '['));
    EXPECT_EQ(r->body.substr(open.size() + 1000), std::string(1000, ']') + "}");
    EXPECT_EQ(platform_->calls, 0);
}

TEST_F(SimulatorServerTest, HugeBodyFaultAnswersValidJsonOfTheAskedSize) {
    set_faults(R"({"huge_body":1.0,"huge_body_bytes":5000})");
    auto r = call("GET", "/api/x");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), 5000u);
    const auto doc = nlohmann::json::parse(r->body, nullptr, false);
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc.at("data").get<std::string>().size(), 5000u - 30u);
    EXPECT_EQ(platform_->calls, 0);
}

TEST_F(SimulatorServerTest, DelayFaultAnswersLate) {
    set_faults(R"({"delay":1.0,"delay_ms":150})");
    const auto start = std::chrono::steady_clock::now();
    auto r = call("GET", "/api/x");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(platform_->calls, 1);
    EXPECT_GE(elapsed, 150ms);
}

TEST_F(SimulatorServerTest, StatsCountRequestsPathsAndFaults) {
    ASSERT_TRUE(call("GET", "/api/a").ok());
    ASSERT_TRUE(call("GET", "/api/a?page=2").ok());
    set_faults(R"({"http_500":1.0,"delay":1.0,"delay_ms":1})");
    ASSERT_TRUE(call("GET", "/api/b").ok());
    const json stats = call_json("GET", "/__sim/stats");
    EXPECT_EQ(stats["requests"], 3);
    EXPECT_EQ(stats["paths"], (json{{"/api/a", 2}, {"/api/b", 1}}));
    EXPECT_EQ(stats["faults"], (json{{"http_500", 1}, {"delay", 1}}));
    // set_faults and this stats call so far; stats counts itself.
    EXPECT_EQ(stats["control_requests"], 2);
}

TEST_F(SimulatorServerTest, TheFaultSeedMakesRunsReplayable) {
    const std::string settings = R"({"http_500":0.5,"seed":7})";
    set_faults(settings);
    std::vector<int> statuses;
    for (int i = 0; i < 20; ++i) {
        auto r = call("GET", "/api/x");
        ASSERT_TRUE(r.ok());
        statuses.push_back(r->status);
    }
    FaultInjector expected;
    expected.configure(*parse_fault_settings(settings));
    for (int status : statuses) {
        EXPECT_EQ(status, expected.next().kind == FaultKind::http_500 ? 500 : 200);
    }
    EXPECT_NE(std::count(statuses.begin(), statuses.end(), 500), 0);
    EXPECT_NE(std::count(statuses.begin(), statuses.end(), 200), 0);
    // Posting the same settings again replays the same sequence.
    set_faults(settings);
    for (int status : statuses) {
        auto r = call("GET", "/api/x");
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->status, status);
    }
}

}  // namespace
}  // namespace csync::sim
