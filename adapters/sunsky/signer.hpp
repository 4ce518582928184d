#pragma once
// Sunsky's request signature (shared/platforms/sunsky.md §3, the seed's "common calling
// convention"): sort every request parameter except `signature` (including `key`) by name, byte
// order; concatenate the VALUES only, raw (not URL-encoded); append "@" and the secret; the
// signature is the lowercase hex MD5 of those UTF-8 bytes. The secret itself is never sent.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csync/error.hpp"

namespace csync::sunsky {

using Params = std::vector<std::pair<std::string, std::string>>;

class SunskySigner {
  public:
    // The exact bytes that are hashed, e.g. "10/31/2013 01:23:20test_key1100@test_secret".
    // A parameter name given twice is a config error: the platform keeps one value per name, so
    // such a request can never be signed in a way the platform agrees with.
    static Result<std::string> string_to_sign(const Params& params, std::string_view secret);
    // 32 lowercase hex characters.
    static Result<std::string> sign(const Params& params, std::string_view secret);
};

}  // namespace csync::sunsky
