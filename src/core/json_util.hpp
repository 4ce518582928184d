#pragma once
// JSON helpers shared by every adapter: exact parsing (decimals never pass through a double) and
// lenient scalar accessors (platforms send "2.66" or 2.66, "1" or 1, and both must work).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "csync/domain/decimal.hpp"
#include "csync/error.hpp"

namespace csync {

// Parses JSON text. Every non-integer number is kept as a JSON *string* holding its literal text
// ("550.0000" stays "550.0000"), so money and quantities are never rounded through a double.
// Integers that fit int64/uint64 stay numbers. Errors are bad_response with the offset; so is a
// document nested deeper than kMaxJsonDepth arrays/objects (everything that later walks a value,
// copies, compares, dump(), recurses per level).
inline constexpr std::size_t kMaxJsonDepth = 512;
Result<nlohmann::json> parse_json_exact(std::string_view text);

// Text of a scalar: strings as is, integers and literals as written, booleans "true"/"false",
// null/absent -> nullopt.
std::optional<std::string> json_text(const nlohmann::json& object, std::string_view key);
std::optional<std::int64_t> json_int(const nlohmann::json& object, std::string_view key);
std::optional<Decimal> json_decimal(const nlohmann::json& object, std::string_view key);
std::optional<bool> json_bool(const nlohmann::json& object, std::string_view key);  // 1/0/"true"

// Text of a standalone scalar value (same rules as above).
std::optional<std::string> json_scalar_text(const nlohmann::json& value);

}  // namespace csync
