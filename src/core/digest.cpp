#include "core/digest.hpp"

#include <array>
#include <stdexcept>

#include <openssl/evp.h>
#include <xxhash.h>

namespace csync {
namespace {

std::string to_hex(const unsigned char* data, std::size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out += kHex[data[i] >> 4];
        out += kHex[data[i] & 0x0f];
    }
    return out;
}

}  // namespace

std::string md5_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_md5(), nullptr) != 1) {
        // Only fails when OpenSSL itself is broken (e.g. MD5 disabled by a FIPS policy).
        throw std::runtime_error("OpenSSL EVP_Digest(MD5) failed: is MD5 disabled by policy?");
    }
    return to_hex(md.data(), len);
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("OpenSSL EVP_Digest(SHA-256) failed");
    }
    return to_hex(md.data(), len);
}

std::string content_hash(std::string_view data) {
    XXH64_hash_t h = XXH3_64bits(data.data(), data.size());
    std::array<unsigned char, 8> bytes{};
    for (int i = 7; i >= 0; --i) {
        bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(h & 0xff);
        h >>= 8;
    }
    return to_hex(bytes.data(), bytes.size());
}

}  // namespace csync
