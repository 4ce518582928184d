#pragma once
// The life cycle of one account's OAuth-style access token, for every platform that signs its
// calls with one (Qianmi's rotating access/refresh pair, Wshoto's app token):
//   * the pair lives in the account state (AdapterStore) and wins over the configuration's pair
//     until the configured value it came from changes (only a fingerprint of that value is
//     stored, never the value);
//   * a token the platform refuses as expired is refreshed ONCE however many streams wait on it
//     (single flight on the account's io_context); a rotated pair is stored durably BEFORE the
//     new access token is handed out, and the refresh is not cancelled half-way by a stop, so a
//     rotated refresh token is never lost;
//   * before refreshing, the stored state is read again: another process may have rotated it;
//   * without a store (the `api` command, dry runs) nothing is ever refreshed: a rotation there
//     would invalidate the daemon's copy. The refusal is an Error::auth with a hint;
//   * a refresh the platform refuses is an Error::auth that parks the account, with the hint of
//     what the operator must do. Transport failures stay transient (the page is retried).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/ports/adapter_store.hpp"
#include "csync/ports/clock.hpp"

namespace csync {

struct TokenPair {
    std::string access_token;
    std::string refresh_token;           // empty for platforms without one
    std::optional<UtcTime> expires_at;   // when the access token ends, when the platform says
    std::optional<UtcTime> obtained_at;  // when it was issued (bounds the expiry margin)
};

struct TokenManagerOptions {
    std::string account;  // for messages
    // The pair from the configuration (either part may be empty).
    TokenPair configured;
    // The configured value the stored pair descends from (Qianmi: refresh_token). When it
    // changes, the configuration's pair wins over the stored one.
    std::string configured_source;
    // The account state as stored when the adapter was built.
    AccountState initial_state;
    // nullptr: never refresh (commands that run beside the daemon).
    AdapterStore* store = nullptr;
    // What the operator must do when the platform refuses the refresh.
    std::string reauthorize_hint;
    // A token known to end within this margin (at most half its lifetime) is refreshed before
    // it is used.
    std::chrono::seconds expiry_margin{60};
};

class TokenManager {
  public:
    // Asks the platform for a new pair; `current` holds the refresh token to use.
    using Refresher = std::function<boost::asio::awaitable<Result<TokenPair>>(TokenPair current)>;

    TokenManager(Clock& clock, TokenManagerOptions options, Refresher refresher);
    TokenManager(const TokenManager&) = delete;
    TokenManager& operator=(const TokenManager&) = delete;

    // The access token to sign the next call with (refreshed first when it is known to have
    // expired and refreshing is allowed).
    boost::asio::awaitable<Result<std::string>> access_token();
    // The platform refused `rejected` as expired or revoked: the token to retry with. One
    // refresh serves every caller that saw the same token refused.
    boost::asio::awaitable<Result<std::string>> refresh_after_rejection(std::string rejected);

    // The token a raw call signs with, without any refresh.
    const std::string& current_access_token() const noexcept { return current_.access_token; }
    bool may_refresh() const noexcept { return options_.store != nullptr; }
    const std::string& reauthorize_hint() const noexcept { return options_.reauthorize_hint; }
    // Every token value held (to mask in printed requests).
    std::vector<std::string> secret_values() const;
    // Refreshes answered by the platform since construction.
    int refreshes() const noexcept { return refreshes_; }

    // Account-state names the pair is stored under.
    static constexpr const char* kAccessKey = "token.access";
    static constexpr const char* kRefreshKey = "token.refresh";
    static constexpr const char* kExpiresAtKey = "token.expires_at";
    static constexpr const char* kObtainedAtKey = "token.obtained_at";
    static constexpr const char* kSourceKey = "token.config_fingerprint";
    // The fingerprint stored for a configured value (SHA-256, hex): detects a change, reveals
    // nothing.
    static std::string fingerprint(const std::string& configured_source);

  private:
    struct Flight;
    // The stored pair, when it descends from the configured value.
    std::optional<TokenPair> stored_pair(const AccountState& state) const;
    boost::asio::awaitable<Result<std::string>> refresh(std::string rejected);
    boost::asio::awaitable<Status> store_current();

    Clock& clock_;
    TokenManagerOptions options_;
    Refresher refresher_;
    TokenPair current_;
    std::shared_ptr<Flight> flight_;  // the refresh in progress, if any
    bool unsaved_ = false;            // a refreshed pair the store refused; saved before use
    int refreshes_ = 0;
};

}  // namespace csync
