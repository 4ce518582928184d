#pragma once
// The one call path of a platform call: sign -> send -> read the envelope -> type the error, and
// for token platforms: an access token refused as expired is refreshed once (TokenManager), the
// call re-signed (fresh timestamp) and retried once; the refreshed token refused again is an
// Error::auth. Retries of other kinds are the stream runner's (RetryPolicy), never made here.

#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/token_manager.hpp"
#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"

namespace csync {

struct PlatformCall {
    // Builds the signed request with this access token ("" without a TokenManager) and a fresh
    // timestamp; called again for the retry.
    std::function<Result<HttpRequest>(const std::string& access_token)> build;
    // Reads the answer: the envelope's payload, or the typed error (token_expired for a refused
    // token).
    std::function<Result<nlohmann::json>(const HttpResponse& response)> read;
};

// `tokens` may be nullptr (platforms signing with static credentials). `requests` counts every
// request sent (the refresh's own included when the refresher counts it).
boost::asio::awaitable<Result<nlohmann::json>> call_platform(HttpClient& http, TokenManager* tokens,
                                                             const PlatformCall& call,
                                                             std::int64_t& requests);

}  // namespace csync
