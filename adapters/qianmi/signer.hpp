#pragma once
// Qianmi's request signature (shared/platforms/qianmi.md §4, ROP's RopUtils.sign): every
// parameter received except `sign` and the upload fields `file`, `image`, `logo`, sorted by name in
// byte order, concatenated as name+value with no separators, wrapped in the app secret on both
// sides; the sign is the uppercase hex SHA-1 of those UTF-8 bytes. Values are the raw (decoded)
// strings. The signer signs exactly what it is given, empty values included, as the gateway does:
// callers that build requests leave empty values out (wire.hpp), so both sides agree.
//
// Timestamps are "yyyy-MM-dd HH:mm:ss" in GMT+8 (Beijing) whatever the host's zone.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csync/domain/time.hpp"
#include "csync/error.hpp"

namespace csync::qianmi {

using Params = std::vector<std::pair<std::string, std::string>>;

class QianmiSigner {
  public:
    // True for the names that are never signed: "sign" and the upload fields.
    static bool is_unsigned_name(std::string_view name) noexcept;
    // The exact bytes that are hashed, e.g.
    // "test_secretappKeytest_app_key...v1.1test_secret". A name given twice is a config error:
    // the gateway keeps one value per name, so such a request cannot be signed as it checks it.
    static Result<std::string> string_to_sign(const Params& params, std::string_view secret);
    // 40 uppercase hex characters.
    static Result<std::string> sign(const Params& params, std::string_view secret);
};

// Uppercase hex SHA-1 (OpenSSL EVP).
std::string sha1_upper_hex(std::string_view data);

// "2024-01-02 03:04:05" for 2024-01-01T19:04:05Z: the instant in GMT+8, zero padded.
std::string format_timestamp(UtcTime t);
// The inverse, strict (exactly "yyyy-MM-dd HH:mm:ss", a valid date); nullopt otherwise.
std::optional<UtcTime> parse_timestamp(std::string_view text);

}  // namespace csync::qianmi
