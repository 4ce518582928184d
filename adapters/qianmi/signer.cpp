#include "qianmi/signer.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <date/date.h>
#include <openssl/evp.h>

namespace csync::qianmi {
namespace {

// The gateway's zone for timestamps and item times: GMT+8 with no daylight saving.
constexpr std::chrono::hours kGmt8{8};

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
    return date::format("%Y-%m-%d %H:%M:%S", date::sys_seconds{(t + kGmt8).time_since_epoch()});
}

std::optional<UtcTime> parse_timestamp(std::string_view text) {
    // Strict: only the canonical zero-padded "yyyy-MM-dd HH:mm:ss", read digit by digit (no
    // floating-point seconds as date::parse reads them).
    constexpr std::string_view kShape = "dddd-dd-dd dd:dd:dd";
    if (text.size() != kShape.size()) return std::nullopt;
    for (std::size_t i = 0; i < kShape.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
    }
    auto number = [&](std::size_t at, std::size_t len) {
        int n = 0;
        for (std::size_t i = at; i < at + len; ++i) n = n * 10 + (text[i] - '0');
        return n;
    };
    auto beijing = local_time_from_fields(number(0, 4), number(5, 2), number(8, 2), number(11, 2),
                                          number(14, 2), number(17, 2));
    if (!beijing) return std::nullopt;  // e.g. February 30th
    return UtcTime{beijing->time_since_epoch() - kGmt8};
}

}  // namespace csync::qianmi
