#include "csync/domain/decimal.hpp"

#include <cctype>

namespace csync {

std::optional<Decimal> Decimal::parse(std::string_view text) {
    if (text.empty()) return std::nullopt;
    bool negative = false;
    std::size_t i = 0;
    if (text[0] == '+' || text[0] == '-') {
        negative = text[0] == '-';
        i = 1;
    }
    std::string int_part;
    std::string frac_part;
    bool seen_dot = false;
    bool seen_digit = false;
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (c == '.') {
            if (seen_dot) return std::nullopt;
            seen_dot = true;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            seen_digit = true;
            (seen_dot ? frac_part : int_part) += c;
        } else {
            return std::nullopt;  // exponents, spaces, separators: not a plain decimal
        }
    }
    if (!seen_digit) return std::nullopt;
    auto first_nonzero = int_part.find_first_not_of('0');
    int_part = first_nonzero == std::string::npos ? "0" : int_part.substr(first_nonzero);
    while (!frac_part.empty() && frac_part.back() == '0') frac_part.pop_back();
    std::string canonical;
    if (negative && !(int_part == "0" && frac_part.empty())) canonical += '-';
    canonical += int_part;
    if (!frac_part.empty()) {
        canonical += '.';
        canonical += frac_part;
    }
    return Decimal(std::move(canonical));
}

}  // namespace csync
