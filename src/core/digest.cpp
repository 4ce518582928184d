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

std::string evp_hex(std::string_view data, const EVP_MD* kind, const char* name) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (kind == nullptr ||
        EVP_Digest(data.data(), data.size(), md.data(), &len, kind, nullptr) != 1) {
        // Only fails when OpenSSL itself is broken (e.g. MD5 disabled by a FIPS policy).
        throw std::runtime_error(std::string("OpenSSL EVP_Digest(") + name + ") failed: is " +
                                 name + " disabled by policy?");
    }
    return to_hex(md.data(), len);
}

// OpenSSL 3 looks a digest named by EVP_md5()/EVP_sha256() up in its provider store (locks
// and all) on every EVP_Digest; a signer hashes once per request, so the lookup is done once.
// nullptr (the algorithm disabled by policy) makes evp_hex report it.
const EVP_MD* fetched(const char* name) {
    return EVP_MD_fetch(nullptr, name, nullptr);  // held for the process's life
}

}  // namespace

std::string md5_hex(std::string_view data) {
    static const EVP_MD* const kind = fetched("MD5");
    return evp_hex(data, kind, "MD5");
}

std::string sha256_hex(std::string_view data) {
    static const EVP_MD* const kind = fetched("SHA2-256");
    return evp_hex(data, kind, "SHA-256");
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
