#pragma once
// The Wshoto adapter: one Client per account calls the open API with the account's app token
// (TokenManager: the token lives in the account state, so a restart reuses it; it is fetched
// again at create_at + expires_in minus a margin, or once when a call answers an auth-class code,
// and never more often than token_min_interval) and reads the envelope (wire.hpp). The streams
// are in streams.hpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/token_manager.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "wshoto/wire.hpp"

namespace csync::wshoto {

inline constexpr const char* kReauthorizeHint =
    "check the account's appid and app_secret in the Wshoto (企微管家) console";
// A token is fetched again this long before create_at + expires_in.
inline constexpr std::chrono::seconds kExpiryMargin{120};

class Client {
  public:
    // `deps.account` and everything `deps` refers to outlive the client. The account options
    // must have been validated (make_adapter checks them).
    Client(const AdapterDeps& deps, Credentials credentials, ErrorCodes codes,
           std::chrono::milliseconds token_min_interval);

    // One business call: `method` (POST unless the endpoint documents otherwise)
    // base+path?access_token= with `body`; an auth-class answer drops the token, fetches one once
    // and retries once. `requests` counts the calls sent. `reader` replaces read_envelope for
    // calls that read the envelope their own way.
    using Reader = std::function<Result<nlohmann::json>(const HttpResponse&)>;
    boost::asio::awaitable<Result<nlohmann::json>> call(std::string_view path, nlohmann::json body,
                                                        std::int64_t& requests, Reader reader = {},
                                                        std::string method = "POST");

    // The platform refused a GET with a JSON body (HTTP 405/501): the account's documented-GET
    // endpoints are sent as POST from then on.
    bool get_body_refused() const noexcept { return get_body_refused_; }
    void refuse_get_body() noexcept { get_body_refused_ = true; }

    TokenManager& tokens() noexcept { return *tokens_; }
    const TokenManager& tokens() const noexcept { return *tokens_; }
    const std::string& base_url() const noexcept { return base_url_; }
    const ErrorCodes& codes() const noexcept { return codes_; }
    void prepare(HttpRequest& request) const;
    // For `api`: the token endpoint's answer, neither stored nor installed (the endpoint hands out
    // the same token until it ends, so asking for it costs the daemon nothing).
    boost::asio::awaitable<Result<std::string>> fetch_unstored_token();
    boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest request) {
        return http_.send(std::move(request));
    }
    // Token endpoint calls made by this client.
    int token_calls() const noexcept { return token_calls_; }

  private:
    boost::asio::awaitable<Result<TokenPair>> fetch_token(TokenPair current);

    const AccountConfig& account_;
    HttpClient& http_;
    Clock& clock_;
    Credentials creds_;
    ErrorCodes codes_;
    std::chrono::milliseconds token_min_interval_;
    std::string base_url_;
    std::unique_ptr<TokenManager> tokens_;
    std::optional<std::chrono::system_clock::time_point> last_token_call_;
    std::string rejected_token_;  // the last token a call answered with an auth-class code
    int token_calls_ = 0;
    // Requests the token endpoint was sent since a call last took them (resends included): the
    // call that waited on the token counts them, so every request is counted once.
    std::int64_t token_requests_ = 0;
    bool get_body_refused_ = false;
};

PlatformAdapterPtr make_adapter(AdapterDeps deps);

}  // namespace csync::wshoto
