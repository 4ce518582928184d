#pragma once
// A token bucket per account, shared by all its streams, so the account as a whole stays under
// the platform's limit. A platform's "slow down" answer pauses the whole bucket.
// Thread affinity: the io_context's thread.

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/sync_metrics.hpp"
#include "csync/config.hpp"
#include "csync/ports/clock.hpp"
#include "csync/ports/http_client.hpp"

namespace csync {

class TokenBucket {
  public:
    TokenBucket(Clock& clock, RateLimitConfig config);
    // Waits until a token is available, then takes it. Returns how long it waited.
    boost::asio::awaitable<std::chrono::steady_clock::duration> acquire();
    // No token is handed out before now + d (the platform asked us to wait).
    void pause_for(std::chrono::milliseconds d);
    // The wait acquire() would need now (for metrics and tests).
    std::chrono::steady_clock::duration wait_needed() const;

  private:
    void refill();

    Clock& clock_;
    RateLimitConfig config_;
    double tokens_;
    std::chrono::steady_clock::time_point last_;
    std::chrono::steady_clock::time_point paused_until_{};
};

// Decorates an HttpClient: every request first takes a token from the account's bucket and gets
// the account's request timeout. With `metrics`, the account's wait for tokens and its answers
// (by HTTP status, or no answer) are counted under `account`.
class RateLimitedHttpClient final : public HttpClient {
  public:
    RateLimitedHttpClient(HttpClient& inner, TokenBucket& bucket,
                          std::chrono::milliseconds request_timeout, SyncMetrics* metrics = nullptr,
                          std::string account = {})
        : inner_(inner),
          bucket_(bucket),
          timeout_(request_timeout),
          metrics_(metrics),
          account_(std::move(account)) {}
    boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest request) override;

  private:
    HttpClient& inner_;
    TokenBucket& bucket_;
    std::chrono::milliseconds timeout_;
    SyncMetrics* metrics_;
    std::string account_;
};

}  // namespace csync
