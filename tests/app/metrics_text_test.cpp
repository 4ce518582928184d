// The Prometheus exposition's new series: cursor lag of watermark streams, the cycle duration
// histogram (cumulative buckets), and the per-account figures in the status document.
#include <gtest/gtest.h>

#include "app/status_endpoint.hpp"

namespace csync::app {
namespace {

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

StreamStatus stream_status(const std::string& account, const std::string& stream) {
    StreamStatus s;
    s.account = account;
    s.platform = "sunsky";
    s.stream = stream;
    s.account_state = "ok";
    return s;
}

TEST(MetricsText, CursorLagIsNowMinusTheWatermarkForWatermarkStreamsOnly) {
    std::map<SyncMetrics::Key, StreamMetrics> live;
    live[{"shop", "products"}].watermark_unix = 1'700'000'000;
    live[{"erp", "stock"}];  // a position cursor: no watermark
    std::string text = metrics_text({}, live, {}, UtcTime{std::chrono::seconds{1'700'000'090}});
    EXPECT_TRUE(has_line(text, R"(csync_cursor_lag_seconds{account="shop",stream="products"} 90)"))
        << text;
    EXPECT_EQ(text.find(R"(csync_cursor_lag_seconds{account="erp")"), std::string::npos) << text;
}

TEST(MetricsText, CycleDurationsFormACumulativeHistogram) {
    std::map<SyncMetrics::Key, StreamMetrics> live;
    StreamMetrics& m = live[{"shop", "products"}];
    for (double seconds : {0.05, 2.0, 2000.0}) {
        m.observe_duration(seconds);
        ++m.cycles;
    }
    std::string text = metrics_text({}, live, {}, UtcTime{});
    const std::string p =
        R"(csync_cycle_duration_seconds_bucket{account="shop",stream="products",)";
    EXPECT_TRUE(has_line(text, p + R"(le="0.1"} 1)")) << text;
    EXPECT_TRUE(has_line(text, p + R"(le="1"} 1)")) << text;
    EXPECT_TRUE(has_line(text, p + R"(le="5"} 2)")) << text;
    EXPECT_TRUE(has_line(text, p + R"(le="1800"} 2)")) << text;
    EXPECT_TRUE(has_line(text, p + R"(le="+Inf"} 3)")) << text;
    EXPECT_TRUE(has_line(
        text, R"(csync_cycle_duration_seconds_count{account="shop",stream="products"} 3)"));
    EXPECT_TRUE(has_line(
        text, R"(csync_cycle_duration_seconds_sum{account="shop",stream="products"} 2002.05)"));
}

TEST(StatusJson, CarriesEachAccountsHttpFigures) {
    StreamStatus s = stream_status("shop", "products");
    std::map<std::string, AccountMetrics> http;
    http["shop"].responses = {{200, 7}, {429, 1}};
    http["shop"].transport_errors = 2;
    http["shop"].rate_limit_wait_us = 250'000;
    http["gone"].transport_errors = 1;  // not in the store any more: not shown
    auto doc = status_json({s}, nullptr, &http);
    EXPECT_EQ(doc["accounts"]["shop"]["http"],
              (nlohmann::json{{"responses", {{"200", 7}, {"429", 1}}},
                              {"transport_errors", 2},
                              {"rate_limit_wait_seconds", 0.25}}));
    EXPECT_FALSE(doc["accounts"].contains("gone"));
}

TEST(MetricsText, TheAccountBalanceIsOneGaugePerAccountWithItsExactDecimalText) {
    StreamStatus s = stream_status("shop", "account");
    // More digits than a double holds: printed as stored, never rounded.
    s.account_balance = AccountBalance{*Decimal::parse("1234567890.0123456789"), "USD",
                                       UtcTime{std::chrono::seconds{1'717'200'000}}};
    StreamStatus orders = s;
    orders.stream = "orders";
    const StreamStatus other = stream_status("erp", "stock");
    std::string text = metrics_text({s, orders, other}, {}, {}, UtcTime{});
    EXPECT_TRUE(has_line(text, "# TYPE csync_account_balance gauge")) << text;
    EXPECT_TRUE(has_line(
        text, R"(csync_account_balance{account="shop",currency="USD"} 1234567890.0123456789)"))
        << text;
    std::size_t samples = 0;
    for (std::size_t at = 0; (at = text.find("\ncsync_account_balance{", at)) != std::string::npos;
         ++at)
        ++samples;
    EXPECT_EQ(samples, 1u) << text;
}

TEST(StatusJson, CarriesTheAccountBalanceAsExactTextWithCurrencyAndTime) {
    StreamStatus s = stream_status("shop", "account");
    s.account_balance = AccountBalance{*Decimal::parse("-0.01"), "USD",
                                       UtcTime{std::chrono::seconds{1'717'200'000}}};
    const StreamStatus other = stream_status("erp", "stock");
    auto doc = status_json({s, other}, nullptr);
    EXPECT_EQ(
        doc["accounts"]["shop"]["balance"],
        (nlohmann::json{
            {"amount", "-0.01"}, {"currency", "USD"}, {"observed_at", "2024-06-01T00:00:00Z"}}));
    EXPECT_FALSE(doc["accounts"]["erp"].contains("balance"));
}

}  // namespace
}  // namespace csync::app
