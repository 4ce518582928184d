#include "sim/fault_injector.hpp"

#include <array>
#include <cmath>
#include <utility>

#include <nlohmann/json.hpp>

namespace csync::sim {
namespace {

using nlohmann::json;

constexpr std::int64_t kMaxDelayMs = 600'000;
// Bounds for the sizes of the hostile answers: enough to exceed every parser limit, small
// enough that a typo does not exhaust the simulator's memory.
constexpr std::uint64_t kMaxNestingDepth = 10'000'000;
constexpr std::uint64_t kMaxHugeBodyBytes = 1024ULL * 1024 * 1024;

struct ProbabilityKey {
    std::string_view name;
    double FaultSettings::*field;
};

constexpr std::array<ProbabilityKey, 9> kProbabilities{{
    {"http_500", &FaultSettings::http_500},
    {"delay", &FaultSettings::delay},
    {"reset", &FaultSettings::reset},
    {"truncate", &FaultSettings::truncate},
    {"non_json", &FaultSettings::non_json},
    {"rate_limit", &FaultSettings::rate_limit},
    {"deep_nesting", &FaultSettings::deep_nesting},
    {"huge_body", &FaultSettings::huge_body},
    {"token_revoked", &FaultSettings::token_revoked},
}};

constexpr std::string_view kKnownKeys =
    "http_500, delay, delay_ms, reset, truncate, non_json, rate_limit, deep_nesting, "
    "nesting_depth, huge_body, huge_body_bytes, token_revoked, seed";

Error bad_setting(std::string message) {
    return Error::config("fault settings: " + std::move(message));
}

}  // namespace

std::string_view to_string(FaultKind kind) noexcept {
    switch (kind) {
        case FaultKind::none:
            return "none";
        case FaultKind::http_500:
            return "http_500";
        case FaultKind::reset:
            return "reset";
        case FaultKind::truncate:
            return "truncate";
        case FaultKind::non_json:
            return "non_json";
        case FaultKind::rate_limit:
            return "rate_limit";
        case FaultKind::deep_nesting:
            return "deep_nesting";
        case FaultKind::huge_body:
            return "huge_body";
        case FaultKind::token_revoked:
            return "token_revoked";
    }
    return "none";
}

Result<FaultSettings> parse_fault_settings(std::string_view json_text) {
    FaultSettings settings;
    if (json_text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return settings;
    }
    const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        return bad_setting(
            "the body is not valid JSON; send an object such as "
            "{\"http_500\":0.1,\"seed\":7}");
    }
    if (!doc.is_object()) {
        return bad_setting("the body must be a JSON object, got " + std::string(doc.type_name()));
    }
    for (const auto& [key, value] : doc.items()) {
        bool handled = false;
        for (const auto& p : kProbabilities) {
            if (key != p.name) {
                continue;
            }
            handled = true;
            if (!value.is_number()) {
                return bad_setting("'" + key + "' must be a number between 0 and 1, got " +
                                   value.dump());
            }
            const double v = value.get<double>();
            if (!(v >= 0.0 && v <= 1.0)) {
                return bad_setting("'" + key + "' must be a probability between 0 and 1, got " +
                                   value.dump());
            }
            settings.*(p.field) = v;
        }
        if (handled) {
            continue;
        }
        if (key == "delay_ms") {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
                value.get<std::int64_t>() > kMaxDelayMs) {
                return bad_setting("'delay_ms' must be an integer from 0 to " +
                                   std::to_string(kMaxDelayMs) + ", got " + value.dump());
            }
            settings.delay_ms = std::chrono::milliseconds(value.get<std::int64_t>());
        } else if (key == "nesting_depth" || key == "huge_body_bytes") {
            const std::uint64_t max = key == "nesting_depth" ? kMaxNestingDepth : kMaxHugeBodyBytes;
            if (!value.is_number_unsigned() || value.get<std::uint64_t>() == 0 ||
                value.get<std::uint64_t>() > max) {
                return bad_setting("'" + key + "' must be an integer from 1 to " +
                                   std::to_string(max) + ", got " + value.dump());
            }
            const auto size = static_cast<std::size_t>(value.get<std::uint64_t>());
            (key == "nesting_depth" ? settings.nesting_depth : settings.huge_body_bytes) = size;
        } else if (key == "seed") {
            // The parser types every integer >= 0 as unsigned.
            if (!value.is_number_unsigned()) {
                return bad_setting("'seed' must be a non-negative integer, got " + value.dump());
            }
            settings.seed = value.get<std::uint64_t>();
        } else {
            return bad_setting("unknown key '" + key + "'; known keys: " + std::string(kKnownKeys));
        }
    }
    return settings;
}

std::string fault_settings_json(const FaultSettings& settings) {
    json out = json::object();
    for (const auto& p : kProbabilities) {
        out[std::string(p.name)] = settings.*(p.field);
    }
    out["delay_ms"] = settings.delay_ms.count();
    out["nesting_depth"] = settings.nesting_depth;
    out["huge_body_bytes"] = settings.huge_body_bytes;
    out["seed"] = settings.seed;
    return out.dump();
}

void FaultInjector::configure(const FaultSettings& settings) {
    settings_ = settings;
    state_ = settings.seed;
}

// SplitMix64: tiny, fully specified, identical everywhere (std distributions are not).
double FaultInjector::draw() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

FaultDecision FaultInjector::next() {
    const std::array<std::pair<FaultKind, double>, 8> ordered{{
        {FaultKind::http_500, settings_.http_500},
        {FaultKind::reset, settings_.reset},
        {FaultKind::truncate, settings_.truncate},
        {FaultKind::non_json, settings_.non_json},
        {FaultKind::rate_limit, settings_.rate_limit},
        {FaultKind::deep_nesting, settings_.deep_nesting},
        {FaultKind::huge_body, settings_.huge_body},
        {FaultKind::token_revoked, settings_.token_revoked},
    }};
    // The hostile-body kinds and token revocation came later: they draw only when enabled, so
    // that the sequences of settings without them (and the seeds tests chose for those) stay as
    // they were.
    const std::size_t kinds = settings_.token_revoked > 0                             ? 8
                              : settings_.deep_nesting > 0 || settings_.huge_body > 0 ? 7
                                                                                      : 5;
    FaultDecision decision;
    decision.delayed = draw() < settings_.delay;
    for (std::size_t i = 0; i < kinds; ++i) {
        const auto& [kind, probability] = ordered[i];
        const bool fires = draw() < probability;
        if (fires && decision.kind == FaultKind::none) {
            decision.kind = kind;
        }
    }
    return decision;
}

}  // namespace csync::sim
