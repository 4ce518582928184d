#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace csync {

// Lowercase hex MD5 (OpenSSL EVP), as the platforms' signers use it.
std::string md5_hex(std::string_view data);
// Lowercase hex SHA-256 (OpenSSL EVP): content-addressed file names, and fingerprints that
// must reveal nothing of their input.
std::string sha256_hex(std::string_view data);
// 16 lowercase hex chars of XXH3-64: the content hash of a normalized record.
std::string content_hash(std::string_view data);

}  // namespace csync
