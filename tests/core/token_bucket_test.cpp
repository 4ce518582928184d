// The per-account token bucket and the rate-limited HTTP client, on a fake clock.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/run_coro.hpp"
#include "core/token_bucket.hpp"
#include "fakes/fake_clock.hpp"

namespace csync {
namespace {

using namespace std::chrono_literals;
using csync::testing::FakeClock;
using csync::testing::run_coro;
using Duration = std::chrono::steady_clock::duration;

// Acquires `n` tokens and returns, for each, how long after the start it was granted.
std::vector<Duration> acquire_times(boost::asio::io_context& io, FakeClock& clock,
                                    TokenBucket& bucket, int n) {
    const auto start = clock.steady_now();
    std::vector<Duration> out;
    run_coro(io, [&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
            co_await bucket.acquire();
            out.push_back(clock.steady_now() - start);
        }
    }());
    return out;
}

void expect_near(Duration actual, Duration expected, const char* what) {
    EXPECT_LE(std::chrono::abs(actual - expected), 1us)
        << what << ": " << std::chrono::duration<double>(actual).count() << " s, expected "
        << std::chrono::duration<double>(expected).count() << " s";
}

TEST(TokenBucket, BurstThenPacedAtPerSecond) {
    boost::asio::io_context io;
    FakeClock clock;
    TokenBucket bucket(clock, RateLimitConfig{.per_second = 5.0, .burst = 10.0});
    EXPECT_EQ(bucket.wait_needed(), Duration::zero());

    auto times = acquire_times(io, clock, bucket, 15);
    ASSERT_EQ(times.size(), 15u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(times[i], Duration::zero()) << "burst token " << i;
    for (int i = 10; i < 15; ++i) {
        expect_near(times[i], std::chrono::milliseconds(200 * (i - 9)), "paced token");
    }
}

TEST(TokenBucket, WaitNeededReportsTheRefillTime) {
    boost::asio::io_context io;
    FakeClock clock;
    TokenBucket bucket(clock, RateLimitConfig{.per_second = 2.0, .burst = 1.0});
    acquire_times(io, clock, bucket, 1);
    expect_near(bucket.wait_needed(), 500ms, "empty bucket");
    clock.advance(200ms);
    expect_near(bucket.wait_needed(), 300ms, "partly refilled");
    clock.advance(300ms);
    EXPECT_EQ(bucket.wait_needed(), Duration::zero());
}

TEST(TokenBucket, IdleTimeRefillsUpToBurstOnly) {
    boost::asio::io_context io;
    FakeClock clock;
    TokenBucket bucket(clock, RateLimitConfig{.per_second = 1.0, .burst = 3.0});
    acquire_times(io, clock, bucket, 3);
    clock.advance(1h);  // would be 3600 tokens without the cap
    auto times = acquire_times(io, clock, bucket, 5);
    EXPECT_EQ(times[0], Duration::zero());
    EXPECT_EQ(times[2], Duration::zero());
    expect_near(times[3], 1s, "after the burst");
    expect_near(times[4], 2s, "after the burst");
}

TEST(TokenBucket, PauseForDelaysTheNextTokenEvenWithTokensLeft) {
    boost::asio::io_context io;
    FakeClock clock;
    TokenBucket bucket(clock, RateLimitConfig{.per_second = 5.0, .burst = 10.0});
    bucket.pause_for(3s);
    EXPECT_EQ(bucket.wait_needed(), Duration(3s));
    bucket.pause_for(1s);  // a shorter pause never shortens the current one
    EXPECT_EQ(bucket.wait_needed(), Duration(3s));

    auto times = acquire_times(io, clock, bucket, 3);
    EXPECT_GE(times[0], Duration(3s));
    // The burst is still there after the pause.
    EXPECT_EQ(times[1], times[0]);
    EXPECT_EQ(times[2], times[0]);
    EXPECT_EQ(bucket.wait_needed(), Duration::zero());
}

class RecordingHttpClient final : public HttpClient {
  public:
    explicit RecordingHttpClient(FakeClock& clock) : clock_(clock) {}
    boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest request) override {
        sent.push_back({clock_.steady_now(), request});
        if (request.url.find("/unreachable") != std::string::npos) {
            co_return Error::transient("connecting failed: Connection refused");
        }
        HttpResponse r;
        r.status = request.url.find("/busy") != std::string::npos ? 503 : 200;
        r.body = "ok " + request.url;
        co_return r;
    }
    std::vector<std::pair<std::chrono::steady_clock::time_point, HttpRequest>> sent;

  private:
    FakeClock& clock_;
};

TEST(RateLimitedHttpClient, TakesATokenPerRequestAndSetsTheAccountTimeout) {
    boost::asio::io_context io;
    FakeClock clock;
    const auto start = clock.steady_now();
    TokenBucket bucket(clock, RateLimitConfig{.per_second = 1.0, .burst = 2.0});
    RecordingHttpClient inner(clock);
    RateLimitedHttpClient client(inner, bucket, 1500ms);

    std::vector<Result<HttpResponse>> responses;
    run_coro(io, [&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            HttpRequest req;
            req.url = "http://127.0.0.1/p" + std::to_string(i);
            req.timeout = 60s;
            responses.push_back(co_await client.send(std::move(req)));
        }
    }());

    ASSERT_EQ(inner.sent.size(), 3u);
    EXPECT_EQ(inner.sent[0].first, start);
    EXPECT_EQ(inner.sent[1].first, start);
    expect_near(inner.sent[2].first - start, 1s, "third request");
    for (const auto& [at, req] : inner.sent) EXPECT_EQ(req.timeout, 1500ms);
    ASSERT_TRUE(responses[2].ok());
    EXPECT_EQ(responses[2]->body, "ok http://127.0.0.1/p2") << "the inner answer is passed on";
}

TEST(RateLimitedHttpClient, CountsTheAccountsWaitAndAnswersInTheMetrics) {
    boost::asio::io_context io;
    FakeClock clock;
    TokenBucket bucket(clock, RateLimitConfig{.per_second = 2.0, .burst = 1.0});
    RecordingHttpClient inner(clock);
    SyncMetrics metrics;
    RateLimitedHttpClient client(inner, bucket, 1500ms, &metrics, "shop");

    run_coro(io, [&]() -> boost::asio::awaitable<void> {
        for (const char* path : {"/a", "/b", "/busy", "/unreachable"}) {
            HttpRequest req;
            req.url = std::string("http://127.0.0.1") + path;
            (void)co_await client.send(std::move(req));
        }
    }());

    auto accounts = metrics.accounts_snapshot();
    ASSERT_EQ(accounts.count("shop"), 1u);
    const AccountMetrics& m = accounts.at("shop");
    // One token at once, then one every 0.5 s: three waits of 0.5 s.
    EXPECT_NEAR(static_cast<double>(m.rate_limit_wait_us), 1.5e6, 5.0);
    EXPECT_EQ(m.responses, (std::map<int, std::int64_t>{{200, 2}, {503, 1}}));
    EXPECT_EQ(m.transport_errors, 1);
    EXPECT_TRUE(metrics.snapshot().empty()) << "stream metrics are the stream runner's";
}

}  // namespace
}  // namespace csync
