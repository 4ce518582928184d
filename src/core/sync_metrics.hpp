#pragma once
// In-memory counters per (account, stream), read by the status and /metrics endpoint.
// Thread safe (written by the engine, read by the status server).

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
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

  private:
    mutable std::mutex mu_;
    std::map<Key, StreamMetrics> streams_;
};

}  // namespace csync
