#pragma once
// Sunsky's wire contract apart from the signature: URLs, the form POST, the platform's time
// format, the response envelope and how its errors map to typed csync::Error values.
// Pure functions: no I/O, so every rule here is unit tested on its own.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"
#include "sunsky/signer.hpp"

namespace csync::sunsky {

// Platform error strings (shared/platforms/sunsky.md §8).
inline constexpr std::string_view kSignatureError = "NO_PERMISSION_DUE_TO_SIGNATURE";
inline constexpr std::string_view kUserStatusError = "NO_PERMISSION_DUE_TO_USER_STATUS";
inline constexpr std::string_view kCallLimitError = "UP_TO_API_CALL_LIMIT_IN_MINUTE";
inline constexpr std::string_view kNotFoundMessage = "The record you visiting does NOT exist.";

// Paging limits of product!search.do (seed, interface 2): default 40, max 100.
inline constexpr int kDefaultPageSize = 40;
inline constexpr int kMaxPageSize = 100;

// "MM/dd/yyyy HH:mm:ss" (products), "MM/dd/yyyy HH:mm" (category/order rows) and "MM/dd/yyyy"
// (order filters). Strict: two-digit fields as the platform writes them; nullopt otherwise.
std::optional<LocalTime> parse_time(std::string_view text);
// Always "MM/dd/yyyy HH:mm:ss", the format gmtModifiedStart takes (e.g. "10/31/2013 01:23:20").
std::string format_time(LocalTime t);

struct Credentials {
    std::string key;
    std::string secret;
};

// base + "/openapi/" + method + ".do"; the method may be given as "product!search",
// "product!search.do" or "/openapi/product!search.do".
std::string method_url(std::string_view base_url, std::string_view method);

// The signed form POST of one call. Blank values are left out of both the signature and the
// body (the platform's own samples drop them from the body, so signing them breaks the call).
// `key` and `signature` come from the credentials; passing them as parameters is an error.
Result<HttpRequest> build_request(std::string_view base_url, std::string_view method,
                                  const Params& params, const Credentials& credentials,
                                  std::string connection_key);

// How long to wait after UP_TO_API_CALL_LIMIT_IN_MINUTE: to the next minute boundary plus a
// one-second margin (the budget is per minute).
std::chrono::milliseconds wait_for_next_minute(std::chrono::system_clock::time_point now);

// Types a platform error message (messages[0], or a non-JSON body).
Error classify_platform_error(std::string_view message, std::chrono::system_clock::time_point now);

// HTTP status + envelope -> `data`, or a typed error:
//   {"result":"success","data":...}           -> data
//   {"result":"error","messages":[...]}       -> auth / rate_limited / config / bad_response
//   5xx -> transient, 429 -> rate_limited, 401/403 -> auth, non-JSON or odd shape -> bad_response.
Result<nlohmann::json> parse_envelope(const HttpResponse& response,
                                      std::chrono::system_clock::time_point now);

// The page object of product!search.do: {"pageCount":N,"total":M,"result":[...]}.
struct SearchPage {
    std::vector<nlohmann::json> rows;
    std::int64_t page_count = 0;
    std::int64_t total = 0;
};
Result<SearchPage> parse_search_page(const nlohmann::json& data);

}  // namespace csync::sunsky
