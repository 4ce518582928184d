#pragma once
// A local simulator of a real platform, served by commerce-sim over loopback. Each platform's
// simulator lives with its adapter; the HTTP server frame, the fault injector and the control
// routes (/__sim/truth, /__sim/mutate, /__sim/faults) are shared (src/sim).
// Thread safety: the frame serialises all calls on one thread.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csync/ports/http_server.hpp"

namespace csync {

using SimRequest = ServerRequest;
using SimResponse = ServerResponse;

// A whole decimal number, all of `text` (no sign but '-', no spaces); nullopt otherwise.
inline std::optional<std::int64_t> parse_int64(std::string_view text) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// A control route's whole-number query parameter (?count=N): `fallback` when absent, nullopt when
// it is not a non-negative whole number (the route answers 400).
inline std::optional<std::size_t> count_param(const SimRequest& request, std::string_view name,
                                              std::size_t fallback) {
    const std::string text = request.query_param(name);
    if (text.empty()) return fallback;
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return n;
}

// A per-minute call budget as the platforms count it (calls in the current clock minute).
class MinuteBudget {
  public:
    // Counts one call at `now`; true when it goes beyond `per_minute` (0 or less: no limit).
    bool exceeded(std::chrono::system_clock::time_point now, int per_minute) {
        if (per_minute <= 0) return false;
        const auto minute =
            std::chrono::duration_cast<std::chrono::minutes>(now.time_since_epoch()).count();
        if (minute != minute_) {
            minute_ = minute;
            used_ = 0;
        }
        return ++used_ > per_minute;
    }

  private:
    std::int64_t minute_ = -1;
    int used_ = 0;
};

struct SimOptions {
    std::uint64_t seed = 1;
    std::size_t products = 1000;
    int rate_limit_per_minute = 0;  // 0: off
    // Lifetime of an access token issued by a token-based platform (Qianmi); 0: never expires.
    std::chrono::seconds token_ttl{0};
    std::string timezone = "Asia/Shanghai";
    std::map<std::string, std::string> credentials;  // platform's credential names
    // Where the platform's behaviour is unverified, which reading to simulate: platform-specific
    // NAME -> VALUE (commerce-sim --reading NAME=VALUE). A simulator refuses names it lacks.
    std::map<std::string, std::string> readings;
    // The simulator's wall clock; tests fix it. Defaults to the system clock.
    std::function<std::chrono::system_clock::time_point()> now = [] {
        return std::chrono::system_clock::now();
    };
};

class SimulatedPlatform {
  public:
    virtual ~SimulatedPlatform() = default;
    // A platform API call.
    virtual SimResponse handle(const SimRequest& request) = 0;
    // All current records as NDJSON, in the platform's own record format, one per line.
    virtual std::string truth_ndjson() = 0;
    // Modifies `count` records now (bumping their modification time); returns how many changed.
    virtual std::size_t mutate(std::size_t count) = 0;
    // The platform's own "too many calls" answer, for injected rate-limit faults.
    virtual SimResponse rate_limit_response() const = 0;
    // The current access token stops working now (injected token_revoked faults); false for a
    // platform without tokens.
    virtual bool revoke_token() { return false; }
    // Platform-specific control routes under /__sim/ (other than truth/mutate/faults);
    // return status 404 when unknown.
    virtual SimResponse control(const SimRequest& request) {
        (void)request;
        SimResponse r;
        r.status = 404;
        r.content_type = "text/plain";
        r.body = "unknown control route\n";
        return r;
    }
};

}  // namespace csync
