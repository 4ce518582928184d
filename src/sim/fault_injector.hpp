#pragma once
// The simulators' fault injector: how often each kind of misbehaviour replaces a platform answer,
// drawn from a seeded PRNG so that a run can be replayed exactly.
// Pure logic, no I/O. Not thread-safe: the simulator frame serialises calls.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "csync/error.hpp"

namespace csync::sim {

// Probabilities are 0..1 per request. All zero: no faults.
struct FaultSettings {
    double http_500 = 0;      // 500 with a JSON error body
    double delay = 0;         // answer `delay_ms` late (combines with the others)
    double reset = 0;         // close the connection without answering
    double truncate = 0;      // the real answer, cut in half
    double non_json = 0;      // 200 with an HTML gateway page
    double rate_limit = 0;    // the platform's own "too many calls" answer
    double deep_nesting = 0;  // 200 with a success envelope whose data nests `nesting_depth` deep
    double huge_body = 0;     // 200 with a body of `huge_body_bytes` (above any client's cap)
    // The platform revokes its current access token just before answering (platforms with
    // tokens only; elsewhere the request is answered normally and nothing is counted).
    double token_revoked = 0;
    std::chrono::milliseconds delay_ms{500};
    std::size_t nesting_depth = 200'000;
    std::size_t huge_body_bytes = 65 * 1024 * 1024;
    std::uint64_t seed = 1;
};

enum class FaultKind {
    none,
    http_500,
    reset,
    truncate,
    non_json,
    rate_limit,
    deep_nesting,
    huge_body,
    token_revoked
};

std::string_view to_string(FaultKind kind) noexcept;

// What happens to one request.
struct FaultDecision {
    FaultKind kind = FaultKind::none;
    bool delayed = false;
};

// Parses the body of POST /__sim/faults: a JSON object with any of the FaultSettings keys.
// An unknown key, a probability outside 0..1 or a malformed value is an error whose message
// names the key (kind config). An empty body means {} (no faults).
Result<FaultSettings> parse_fault_settings(std::string_view json_text);
// All settings as a JSON object, keys as parse_fault_settings takes them.
std::string fault_settings_json(const FaultSettings& settings);

class FaultInjector {
  public:
    FaultInjector() { configure(FaultSettings{}); }
    // Replaces the settings and restarts the PRNG from their seed.
    void configure(const FaultSettings& settings);
    const FaultSettings& settings() const noexcept { return settings_; }
    // The fate of the next request. Every call consumes the same number of draws for given
    // settings, so the sequence depends on the settings, the seed and the request count only. Kinds
    // are tried in the order http_500, reset, truncate, non_json, rate_limit, deep_nesting,
    // huge_body, token_revoked; the first that fires wins.
    FaultDecision next();

  private:
    double draw();  // uniform in [0, 1)

    FaultSettings settings_;
    std::uint64_t state_ = 0;
};

}  // namespace csync::sim
