#pragma once
// In-memory counters per (account, stream) and per account, read by the status and /metrics
// endpoint.
// Thread safe (written by the engine, read by the status server).

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace csync {

struct StreamMetrics {
    std::int64_t cycles = 0;
    std::int64_t cycles_failed = 0;
    std::int64_t pages = 0;
    std::int64_t requests = 0;
    std::int64_t inserted = 0;
    std::int64_t updated = 0;
    std::int64_t unchanged = 0;
    std::int64_t deleted = 0;
    std::int64_t dead_lettered = 0;
    std::int64_t retries = 0;
    std::int64_t ack_failures = 0;
    std::map<std::string, std::int64_t> errors;  // by error kind
    std::int64_t last_success_unix = 0;
    std::int64_t last_cycle_ms = 0;
    bool running = false;
    std::string last_error;
    std::optional<std::int64_t> watermark_unix;  // watermark streams: synced up to (Unix time)
    // Cycle durations, a Prometheus histogram: cumulative counts per upper bound.
    static constexpr std::array<double, 8> kDurationBounds = {0.1, 0.5, 1, 5, 15, 60, 300, 1800};
    std::array<std::int64_t, kDurationBounds.size()> duration_buckets{};
    double duration_sum_seconds = 0;

    void observe_duration(double seconds) {
        for (std::size_t i = 0; i < kDurationBounds.size(); ++i) {
            if (seconds <= kDurationBounds[i]) ++duration_buckets[i];
        }
        duration_sum_seconds += seconds;
    }
};

// Per account: its HTTP traffic (its streams share one token bucket and one client).
struct AccountMetrics {
    std::int64_t rate_limit_wait_us = 0;    // time requests waited for the account's bucket
    std::map<int, std::int64_t> responses;  // answers by HTTP status
    std::int64_t transport_errors = 0;      // no usable answer: connect, TLS, timeout, reset…
};

class SyncMetrics {
  public:
    using Key = std::pair<std::string, std::string>;  // account, stream

    void update(const Key& key, const std::function<void(StreamMetrics&)>& fn) {
        std::lock_guard lock(mu_);
        fn(streams_[key]);
    }
    std::map<Key, StreamMetrics> snapshot() const {
        std::lock_guard lock(mu_);
        return streams_;
    }

    void update_account(const std::string& account,
                        const std::function<void(AccountMetrics&)>& fn) {
        std::lock_guard lock(mu_);
        fn(accounts_[account]);
    }
    std::map<std::string, AccountMetrics> accounts_snapshot() const {
        std::lock_guard lock(mu_);
        return accounts_;
    }

  private:
    mutable std::mutex mu_;
    std::map<Key, StreamMetrics> streams_;
    std::map<std::string, AccountMetrics> accounts_;
};

}  // namespace csync
