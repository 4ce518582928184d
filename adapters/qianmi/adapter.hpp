#pragma once
// The Qianmi adapter: one Client per account signs every gateway call with the account's access
// token (TokenManager: account state first, else the configuration; refreshed once when the
// gateway answers code 20/21, the rotated pair stored before it is used) and reads the envelope
// (wire.hpp). The `items` stream is in items_stream.hpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/token_manager.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "qianmi/wire.hpp"

namespace csync::qianmi {

// What the operator must do when Qianmi refuses to refresh the token.
inline constexpr const char* kReauthorizeHint =
    "authorise the application again in Qianmi and put the new refresh_token (and access_token) "
    "in the configuration";

class Client {
  public:
    // `deps.account` and everything `deps` refers to outlive the client.
    Client(const AdapterDeps& deps, Credentials credentials);

    // One gateway call (call_platform: sign, send, read, refresh once on 20/21); `requests`
    // counts the calls sent. `reader` replaces read_envelope for the hot answers a page reader
    // reads itself (it keeps what it reads; the call then gives null).
    using Reader = std::function<Status(const HttpResponse&)>;
    boost::asio::awaitable<Result<nlohmann::json>> call(std::string method, Params business,
                                                        std::int64_t& requests, Reader reader = {});

    TokenManager& tokens() noexcept { return *tokens_; }
    const TokenManager& tokens() const noexcept { return *tokens_; }
    const Credentials& credentials() const noexcept { return creds_; }
    const std::string& gateway_url() const noexcept { return gateway_url_; }
    // Applies the account's connection key and request timeout.
    void prepare(HttpRequest& request) const;

  private:
    boost::asio::awaitable<Result<csync::TokenPair>> refresh(csync::TokenPair current);

    const AccountConfig& account_;
    HttpClient& http_;
    Clock& clock_;
    Credentials creds_;
    std::string gateway_url_;
    std::string token_url_;
    std::unique_ptr<TokenManager> tokens_;
    // Requests the token endpoint was sent since a call last took them (resends included): the
    // call that waited on the token counts them, so every request is counted once.
    std::int64_t token_requests_ = 0;
};

PlatformAdapterPtr make_adapter(AdapterDeps deps);

}  // namespace csync::qianmi
