#pragma once
// The one place that decides, from an error's kind alone, whether and when to try again.

#include <chrono>

#include "csync/error.hpp"
#include "csync/ports/clock.hpp"

namespace csync {

struct RetryDecision {
    bool retry = false;
    std::chrono::milliseconds delay{0};
};

struct RetryOptions {
    int max_attempts = 6;               // failed attempts of one page before the run fails
    int max_bad_response_attempts = 3;  // garbage rarely fixes itself; retry less
    std::chrono::milliseconds base_delay{500};
    std::chrono::milliseconds max_delay{60'000};
};

class RetryPolicy {
  public:
    explicit RetryPolicy(RetryOptions options = {}) : options_(options) {}

    // `failures` counts the failed attempts so far, this one included (1 for the first failure).
    // Transient and rate-limited errors back off exponentially with full jitter
    // (delay = uniform(0, min(max, base * 2^(failures-1)))); a platform's wait hint is a floor.
    // auth, config, storage and cancelled are never retried.
    RetryDecision decide(const Error& error, int failures, Random& random) const;

    const RetryOptions& options() const noexcept { return options_; }

  private:
    RetryOptions options_;
};

}  // namespace csync
