#include "qianmi/signer.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

#include <openssl/evp.h>

namespace csync::qianmi {
namespace {

// The gateway's zone for timestamps and item times: GMT+8 with no daylight saving.
constexpr std::chrono::hours kGmt8{8};

int digits(std::string_view s, std::size_t pos, std::size_t width) {
    if (pos + width > s.size()) return -1;
    int v = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

bool QianmiSigner::is_unsigned_name(std::string_view name) noexcept {
    return name == "sign" || name == "file" || name == "image" || name == "logo";
}

Result<std::string> QianmiSigner::string_to_sign(const Params& params, std::string_view secret) {
    std::vector<const std::pair<std::string, std::string>*> sorted;
    sorted.reserve(params.size());
    for (const auto& p : params) {
        if (!is_unsigned_name(p.first)) sorted.push_back(&p);
    }
    // std::string compares like memcmp: Java String.compareTo for the ASCII names the gateway
    // uses ('A'..'Z' < '_' < 'a'..'z').
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    std::string out(secret);
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        if (i > 0 && sorted[i]->first == sorted[i - 1]->first) {
            return Error::config("parameter '" + sorted[i]->first +
                                 "' given twice: the Qianmi gateway keeps one value per name");
        }
        out += sorted[i]->first;
        out += sorted[i]->second;
    }
    out += secret;
    return out;
}

Result<std::string> QianmiSigner::sign(const Params& params, std::string_view secret) {
    auto text = string_to_sign(params, secret);
    if (!text.ok()) return std::move(text).error();
    return sha1_upper_hex(*text);
}

std::string sha1_upper_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha1(), nullptr) != 1) {
        // Only fails when OpenSSL itself is broken (e.g. SHA-1 disabled by a crypto policy).
        throw std::runtime_error("OpenSSL EVP_Digest(SHA-1) failed: is SHA-1 disabled by policy?");
    }
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 0x0f];
    }
    return out;
}

std::string format_timestamp(UtcTime t) {
    const auto beijing = t + kGmt8;
    const auto days = std::chrono::floor<std::chrono::days>(beijing);
    const std::chrono::year_month_day ymd{days};
    const std::chrono::hh_mm_ss hms{beijing - days};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

std::optional<UtcTime> parse_timestamp(std::string_view text) {
    if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' ||
        text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    const int year = digits(text, 0, 4);
    const int month = digits(text, 5, 2);
    const int day = digits(text, 8, 2);
    const int hour = digits(text, 11, 2);
    const int minute = digits(text, 14, 2);
    const int second = digits(text, 17, 2);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
        return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{year},
                                          std::chrono::month{static_cast<unsigned>(month)},
                                          std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) return std::nullopt;
    const UtcTime beijing{std::chrono::sys_days{ymd}.time_since_epoch() + std::chrono::hours{hour} +
                          std::chrono::minutes{minute} + std::chrono::seconds{second}};
    return beijing - kGmt8;
}

}  // namespace csync::qianmi
