#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/fault_injector.hpp"

namespace csync::sim {
namespace {

using nlohmann::json;

TEST(FaultSettingsParse, TakesEveryKnownKeyAndEchoesThem) {
    auto s = parse_fault_settings(
        R"({"http_500":0.1,"delay":0.2,"delay_ms":250,"reset":0.05,"truncate":0.06,)"
        R"("non_json":0.07,"rate_limit":0.08,"deep_nesting":0.09,"nesting_depth":1000,)"
        R"("huge_body":0.11,"huge_body_bytes":4096,"token_revoked":0.12,"seed":7})");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_DOUBLE_EQ(s->http_500, 0.1);
    EXPECT_DOUBLE_EQ(s->delay, 0.2);
    EXPECT_EQ(s->delay_ms.count(), 250);
    EXPECT_DOUBLE_EQ(s->reset, 0.05);
    EXPECT_DOUBLE_EQ(s->truncate, 0.06);
    EXPECT_DOUBLE_EQ(s->non_json, 0.07);
    EXPECT_DOUBLE_EQ(s->rate_limit, 0.08);
    EXPECT_DOUBLE_EQ(s->deep_nesting, 0.09);
    EXPECT_EQ(s->nesting_depth, 1000u);
    EXPECT_DOUBLE_EQ(s->huge_body, 0.11);
    EXPECT_EQ(s->huge_body_bytes, 4096u);
    EXPECT_DOUBLE_EQ(s->token_revoked, 0.12);
    EXPECT_EQ(s->seed, 7u);
    EXPECT_EQ(json::parse(fault_settings_json(*s)),
              json::parse(R"({"http_500":0.1,"delay":0.2,"delay_ms":250,"reset":0.05,)"
                          R"("truncate":0.06,"non_json":0.07,"rate_limit":0.08,)"
                          R"("deep_nesting":0.09,"nesting_depth":1000,"huge_body":0.11,)"
                          R"("huge_body_bytes":4096,"token_revoked":0.12,"seed":7})"));
}

TEST(FaultSettingsParse, EmptyObjectOrBodyClearsEverything) {
    for (const char* body : {"{}", "", "  \n"}) {
        auto s = parse_fault_settings(body);
        ASSERT_TRUE(s.ok()) << body;
        EXPECT_EQ(fault_settings_json(*s), fault_settings_json(FaultSettings{}));
        EXPECT_EQ(s->http_500 + s->delay + s->reset + s->truncate + s->non_json + s->rate_limit +
                      s->deep_nesting + s->huge_body + s->token_revoked,
                  0.0);
    }
}

TEST(FaultSettingsParse, BadInputNamesTheKeyAndWhatIsWrong) {
    struct Case {
        const char* body;
        const char* message;
    };
    const Case cases[] = {
        {R"({"boom":0.1})",
         "fault settings: unknown key 'boom'; known keys: http_500, delay, delay_ms, reset, "
         "truncate, non_json, rate_limit, deep_nesting, nesting_depth, huge_body, "
         "huge_body_bytes, token_revoked, seed"},
        {R"({"nesting_depth":0})",
         "fault settings: 'nesting_depth' must be an integer from 1 to 10000000, got 0"},
        {R"({"huge_body_bytes":2000000000})",
         "fault settings: 'huge_body_bytes' must be an integer from 1 to 1073741824, got "
         "2000000000"},
        {R"({"reset":1.5})",
         "fault settings: 'reset' must be a probability between 0 and 1, got 1.5"},
        {R"({"http_500":-0.1})",
         "fault settings: 'http_500' must be a probability between 0 and 1, got -0.1"},
        {R"({"truncate":"0.5"})",
         "fault settings: 'truncate' must be a number between 0 and 1, got \"0.5\""},
        {R"({"delay_ms":-5})",
         "fault settings: 'delay_ms' must be an integer from 0 to 600000, got -5"},
        {R"({"delay_ms":1.5})",
         "fault settings: 'delay_ms' must be an integer from 0 to 600000, got 1.5"},
        {R"({"seed":-1})", "fault settings: 'seed' must be a non-negative integer, got -1"},
        {"[1,2]", "fault settings: the body must be a JSON object, got array"},
        {"{nope",
         "fault settings: the body is not valid JSON; send an object such as "
         "{\"http_500\":0.1,\"seed\":7}"},
    };
    for (const auto& c : cases) {
        auto s = parse_fault_settings(c.body);
        ASSERT_FALSE(s.ok()) << c.body;
        EXPECT_EQ(s.error().kind, ErrorKind::config);
        EXPECT_EQ(s.error().message, c.message);
    }
}

std::vector<FaultDecision> decisions(const FaultSettings& settings, int n) {
    FaultInjector injector;
    injector.configure(settings);
    std::vector<FaultDecision> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(injector.next());
    }
    return out;
}

bool same(const std::vector<FaultDecision>& a, const std::vector<FaultDecision>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].kind != b[i].kind || a[i].delayed != b[i].delayed) {
            return false;
        }
    }
    return true;
}

TEST(FaultInjector, TheSeedFixesTheSequence) {
    FaultSettings settings;
    settings.http_500 = 0.2;
    settings.reset = 0.2;
    settings.delay = 0.3;
    settings.seed = 7;
    EXPECT_TRUE(same(decisions(settings, 300), decisions(settings, 300)));
    FaultSettings other = settings;
    other.seed = 8;
    EXPECT_FALSE(same(decisions(settings, 300), decisions(other, 300)));
    // configure() restarts the sequence.
    FaultInjector injector;
    injector.configure(settings);
    const FaultDecision first = injector.next();
    injector.next();
    injector.configure(settings);
    EXPECT_EQ(injector.next().kind, first.kind);
}

TEST(FaultInjector, ProbabilitiesAreHonoured) {
    FaultSettings none;
    for (const auto& d : decisions(none, 500)) {
        EXPECT_EQ(d.kind, FaultKind::none);
        EXPECT_FALSE(d.delayed);
    }
    FaultSettings always;
    always.truncate = 1.0;
    for (const auto& d : decisions(always, 100)) {
        EXPECT_EQ(d.kind, FaultKind::truncate);
    }
    FaultSettings some;
    some.http_500 = 0.3;
    some.seed = 42;
    int fired = 0;
    for (const auto& d : decisions(some, 4000)) {
        fired += d.kind == FaultKind::http_500 ? 1 : 0;
    }
    EXPECT_GT(fired, 4000 * 0.27);
    EXPECT_LT(fired, 4000 * 0.33);
}

TEST(FaultInjector, TokenRevocationComesAfterEveryOtherKind) {
    FaultSettings settings;
    settings.token_revoked = 1.0;
    for (const auto& d : decisions(settings, 20)) EXPECT_EQ(d.kind, FaultKind::token_revoked);
    settings.huge_body = 1.0;
    for (const auto& d : decisions(settings, 20)) EXPECT_EQ(d.kind, FaultKind::huge_body);
}

TEST(FaultInjector, FirstKindInOrderWinsAndDelayCombines) {
    FaultSettings settings;
    settings.rate_limit = 1.0;
    settings.reset = 1.0;
    settings.delay = 1.0;
    for (const auto& d : decisions(settings, 20)) {
        EXPECT_EQ(d.kind, FaultKind::reset);
        EXPECT_TRUE(d.delayed);
    }
}

TEST(FaultKindNames, MatchTheSettingKeys) {
    EXPECT_EQ(to_string(FaultKind::http_500), "http_500");
    EXPECT_EQ(to_string(FaultKind::reset), "reset");
    EXPECT_EQ(to_string(FaultKind::truncate), "truncate");
    EXPECT_EQ(to_string(FaultKind::non_json), "non_json");
    EXPECT_EQ(to_string(FaultKind::rate_limit), "rate_limit");
    EXPECT_EQ(to_string(FaultKind::deep_nesting), "deep_nesting");
    EXPECT_EQ(to_string(FaultKind::huge_body), "huge_body");
    EXPECT_EQ(to_string(FaultKind::token_revoked), "token_revoked");
}

}  // namespace
}  // namespace csync::sim
