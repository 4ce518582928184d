#pragma once
// The Wangdiantong flagship ("qjb") wire contract, shared by the adapter and the simulator:
// credentials, the 2012-epoch timestamp, the sign, the signed request, the response envelope and
// its status codes. See shared/platforms/wangdiantong.md sections 2.1-2.6.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"

namespace csync::wangdiantong {

// 2012-01-01 00:00:00 +08:00 in Unix seconds: the platform's timestamps count from here.
inline constexpr std::int64_t kEpochOffset = 1325347200;
// The platform accepts a timestamp within this many seconds of its own clock.
inline constexpr std::int64_t kTimestampWindow = 120;
inline constexpr std::string_view kApiVersion = "1.0";

// The StockSync family (section 3 of the notes).
inline constexpr std::string_view kWaitList = "sales.StockSync.getSelfWaitSyncIdListOpen";
inline constexpr std::string_view kCalcStock = "sales.StockSync.calcStock";
inline constexpr std::string_view kBatchCalcStock = "sales.StockSync.batchCalcStock";
inline constexpr std::string_view kSyncSuccess = "sales.StockSync.syncSuccess";
inline constexpr std::string_view kSyncFail = "sales.StockSync.syncFail";
inline constexpr std::string_view kCancelSync = "sales.StockSync.cancelSync";

// The rate-limit texts of status 100 (per-minute call count, per-minute concurrency).
inline constexpr std::string_view kRateLimitCalls = "超过每分钟最大调用频率限制，请稍后重试";
inline constexpr std::string_view kRateLimitConcurrency = "超过每分钟最大并发次数限制，请稍后重试";

inline std::int64_t to_wdt_timestamp(std::int64_t unix_seconds) {
    return unix_seconds - kEpochOffset;
}

struct Credentials {
    std::string sid;
    std::string key;
    std::string secret;  // appsecret before the first colon
    std::string salt;    // appsecret after the first colon (may contain colons)
    std::string appsecret;
};

// Splits `secret:salt` at the FIRST colon. No colon, or an empty part, is a config error (the
// message never contains the value).
Result<std::pair<std::string, std::string>> split_appsecret(std::string_view appsecret);
// From an account's (or a simulator's) credential map: sid, key, appsecret.
Result<Credentials> credentials_from(const std::map<std::string, std::string>& values);

// The string that is md5'd: secret + k1 v1 k2 v2 ... (byte order of keys, "body" included) +
// secret. `params` must not contain "sign".
std::string sign_plaintext(std::string_view secret,
                           const std::map<std::string, std::string>& params, std::string_view body);
// Lowercase hex md5 of sign_plaintext().
std::string sign(std::string_view secret, const std::map<std::string, std::string>& params,
                 std::string_view body);

// <base>/openapi (a base that already ends in /openapi is taken as the full URL).
std::string endpoint_url(std::string_view base_url);

// The public parameters, without body and sign.
std::map<std::string, std::string> public_params(const Credentials& c, std::string_view method,
                                                 std::int64_t unix_seconds);

// The signed POST: public params + `extra` (pager) + sign in the query string, `body` sent as is
// (and signed as is). The connection key keeps one sid's keep-alive connections to itself.
HttpRequest build_request(std::string_view base_url, const Credentials& c, std::string_view method,
                          std::string body, std::int64_t unix_seconds,
                          const std::map<std::string, std::string>& extra = {});

// RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") <-> Unix seconds.
std::string format_http_date(std::int64_t unix_seconds);
std::optional<std::int64_t> parse_http_date(std::string_view text);

// Types a platform status (never 0) per the notes' table. `clock_offset`: the platform's clock
// minus ours in seconds, when it could be measured (for status 7).
Error classify_status(std::int64_t status, std::string_view message,
                      std::optional<std::int64_t> clock_offset);

// Reads an answer: HTTP status, then the {"status","message","data"} envelope. Returns `data`
// (null when absent) on status 0, a typed Error otherwise. `received_unix`: our clock when the
// answer arrived, to measure the platform's clock from its Date header on status 7.
Result<nlohmann::json> read_envelope(const HttpResponse& response, std::int64_t received_unix);

// The answer's document as parse_json_exact builds it (exact decimals as their text), read with
// simdjson's on-demand parser; nullopt for a body outside what both read alike (a body simdjson
// refuses, a BOM, an escaped surrogate, nesting near kMaxJsonDepth): read_envelope then parses it
// with parse_json_exact, for the same document or the same error.
std::optional<nlohmann::json> parse_exact_fast(std::string_view body);

// A JSON object written field by field, so that exact decimals go out as JSON numbers with
// their literal text (550.0000), never through a double.
class ObjectWriter {
  public:
    ObjectWriter& raw(std::string_view key, std::string_view literal);  // a JSON literal as is
    ObjectWriter& str(std::string_view key, std::string_view value);
    ObjectWriter& num(std::string_view key, std::int64_t value);
    ObjectWriter& value(std::string_view key, const nlohmann::json& v);  // v.dump()
    // A number field from an exact-parsed value: decimal text goes out unquoted; other values
    // (text that is not a number, booleans) as they are; null/absent is skipped.
    ObjectWriter& number_from(std::string_view key, const nlohmann::json* v);
    std::string finish() const { return text_ + "}"; }

  private:
    void key(std::string_view k);
    void quoted(std::string_view v);  // v as a JSON string
    std::string text_ = "{";
    bool first_ = true;
};

}  // namespace csync::wangdiantong
