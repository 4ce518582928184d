#include "core/token_bucket.hpp"

#include <algorithm>

namespace csync {

TokenBucket::TokenBucket(Clock& clock, RateLimitConfig config)
    : clock_(clock), config_(config), tokens_(config.burst), last_(clock.steady_now()) {}

void TokenBucket::refill() {
    auto now = clock_.steady_now();
    double elapsed = std::chrono::duration<double>(now - last_).count();
    if (elapsed > 0) {
        tokens_ = std::min(config_.burst, tokens_ + elapsed * config_.per_second);
        last_ = now;
    }
}

std::chrono::steady_clock::duration TokenBucket::wait_needed() const {
    auto now = clock_.steady_now();
    std::chrono::steady_clock::duration pause{0};
    if (paused_until_ > now) pause = paused_until_ - now;
    double elapsed = std::chrono::duration<double>(now - last_).count();
    double tokens = std::min(config_.burst, tokens_ + std::max(0.0, elapsed) * config_.per_second);
    if (tokens >= 1.0) return pause;
    auto refill_wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>((1.0 - tokens) / config_.per_second));
    return std::max(pause, refill_wait);
}

boost::asio::awaitable<std::chrono::steady_clock::duration> TokenBucket::acquire() {
    const auto start = clock_.steady_now();
    for (;;) {
        auto wait = wait_needed();
        if (wait <= std::chrono::steady_clock::duration::zero()) {
            refill();
            tokens_ -= 1.0;
            co_return clock_.steady_now() - start;
        }
        co_await clock_.sleep_for(wait);
    }
}

void TokenBucket::pause_for(std::chrono::milliseconds d) {
    paused_until_ = std::max(paused_until_, clock_.steady_now() + d);
}

boost::asio::awaitable<Result<HttpResponse>> RateLimitedHttpClient::send(HttpRequest request) {
    const auto waited = co_await bucket_.acquire();
    request.timeout = timeout_;
    Result<HttpResponse> response = co_await inner_.send(std::move(request));
    if (metrics_) {
        metrics_->update_account(account_, [&](AccountMetrics& m) {
            m.rate_limit_wait_us +=
                std::chrono::duration_cast<std::chrono::microseconds>(waited).count();
            // A request the client sent again lost its first exchange to the transport.
            if (response.ok()) {
                m.responses[response->status] += 1;
                m.transport_errors += response->resent;
            } else {
                m.transport_errors += 1 + response.error().resent;
            }
        });
    }
    co_return response;
}

}  // namespace csync
