#pragma once
// Money and quantities are exact decimals kept as canonical text ("2.66", "-0.5", "100").
// Never a double: platforms send "2.6600" or 550.0000 and both must come back exactly.

#include <optional>
#include <string>
#include <string_view>

namespace csync {

class Decimal {
  public:
    Decimal() = default;  // "0"

    // Accepts [+-]digits[.digits]; trailing fractional zeros are dropped ("2.6600" -> "2.66").
    // Exponents, NaN, spaces and empty text are rejected.
    static std::optional<Decimal> parse(std::string_view text);

    const std::string& text() const noexcept { return text_; }
    bool operator==(const Decimal& other) const = default;

  private:
    explicit Decimal(std::string canonical) : text_(std::move(canonical)) {}
    std::string text_ = "0";
};

}  // namespace csync
