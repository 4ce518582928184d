#include "core/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace csync {

RetryDecision RetryPolicy::decide(const Error& error, int failures, Random& random) const {
    int limit = 0;
    switch (error.kind) {
        case ErrorKind::transient:
        case ErrorKind::rate_limited:
            limit = options_.max_attempts;
            break;
        case ErrorKind::bad_response:
            limit = options_.max_bad_response_attempts;
            break;
        case ErrorKind::auth:
        case ErrorKind::token_expired:  // refreshed where the token lives, never by backoff
        case ErrorKind::config:
        case ErrorKind::storage:
        case ErrorKind::cancelled:
        case ErrorKind::fenced:  // another process owns the account now: retrying cannot help
            return {};
    }
    if (failures >= limit) return {};

    double exp = std::ldexp(static_cast<double>(options_.base_delay.count()),
                            std::clamp(failures - 1, 0, 30));
    double ceiling = std::min(exp, static_cast<double>(options_.max_delay.count()));
    auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(random.uniform01() * ceiling));
    if (error.retry_after) delay = std::max(delay, *error.retry_after);
    return {true, delay};
}

}  // namespace csync
