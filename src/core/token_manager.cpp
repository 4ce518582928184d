#include "core/token_manager.hpp"

#include <charconv>
#include <utility>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/digest.hpp"
#include "log/log.hpp"

namespace csync {
namespace {

namespace asio = boost::asio;

std::optional<UtcTime> parse_unix(const std::string& text) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return UtcTime{std::chrono::seconds{v}};
}

void register_secrets(const TokenPair& pair) {
    log::add_secret(pair.access_token);
    log::add_secret(pair.refresh_token);
}

}  // namespace

// Callers that find a refresh in progress wait here for its result.
struct TokenManager::Flight {
    explicit Flight(asio::any_io_executor ex) : done(std::move(ex)) {
        done.expires_at(asio::steady_timer::time_point::max());
    }
    std::optional<Result<std::string>> result;
    asio::steady_timer done;  // cancelled once `result` is set
};

std::string TokenManager::fingerprint(const std::string& configured_source) {
    return sha256_hex("commerce-syncd token source\n" + configured_source);
}

TokenManager::TokenManager(Clock& clock, TokenManagerOptions options, Refresher refresher)
    : clock_(clock), options_(std::move(options)), refresher_(std::move(refresher)) {
    current_ = stored_pair(options_.initial_state).value_or(options_.configured);
    register_secrets(current_);
}

std::optional<TokenPair> TokenManager::stored_pair(const AccountState& state) const {
    auto get = [&](const char* key) -> std::string {
        auto it = state.find(key);
        return it == state.end() ? std::string() : it->second;
    };
    if (get(kSourceKey) != fingerprint(options_.configured_source)) return std::nullopt;
    TokenPair pair{get(kAccessKey), get(kRefreshKey), parse_unix(get(kExpiresAtKey)),
                   parse_unix(get(kObtainedAtKey))};
    if (pair.access_token.empty() && pair.refresh_token.empty()) return std::nullopt;
    return pair;
}

std::vector<std::string> TokenManager::secret_values() const {
    std::vector<std::string> out;
    for (const TokenPair* p : {&current_, &options_.configured}) {
        if (!p->access_token.empty()) out.push_back(p->access_token);
        if (!p->refresh_token.empty()) out.push_back(p->refresh_token);
    }
    return out;
}

asio::awaitable<Status> TokenManager::store_current() {
    auto unix_text = [](const std::optional<UtcTime>& t) {
        return t ? std::to_string(t->time_since_epoch().count()) : std::string();
    };
    AccountState values{
        {kAccessKey, current_.access_token},
        {kRefreshKey, current_.refresh_token},
        {kExpiresAtKey, unix_text(current_.expires_at)},
        {kObtainedAtKey, unix_text(current_.obtained_at)},
        {kSourceKey, fingerprint(options_.configured_source)},
    };
    Status saved = co_await options_.store->save_account_state(std::move(values));
    unsaved_ = !saved.ok();
    if (!saved.ok()) {
        // Another replica holds the account now: its own pair is the stored one, this one is
        // never used again; typed as fenced so the stream stops instead of retrying.
        if (saved.error().kind == ErrorKind::fenced) {
            co_return Error::fenced("account " + options_.account +
                                    ": the refreshed token was not stored (" +
                                    saved.error().message + ")");
        }
        co_return Error::storage(
            "account " + options_.account + ": the refreshed token could not be stored (" +
            saved.error().message + "); it is kept in memory and stored before its next use");
    }
    co_return Status{};
}

asio::awaitable<Result<std::string>> TokenManager::access_token() {
    if (unsaved_) {
        if (Status st = co_await store_current(); !st.ok()) co_return st.error();
    }
    // The margin never exceeds half the token's lifetime: a short-lived token is not refreshed
    // on every call.
    std::chrono::seconds margin = options_.expiry_margin;
    if (current_.expires_at && current_.obtained_at) {
        margin = std::min(margin, (*current_.expires_at - *current_.obtained_at) / 2);
    }
    const bool expired = current_.expires_at && clock_.now() + margin >= *current_.expires_at;
    if (may_refresh() && (current_.access_token.empty() || expired)) {
        co_return co_await refresh_after_rejection(current_.access_token);
    }
    if (current_.access_token.empty()) {
        co_return Error::auth("account " + options_.account +
                              ": no access token is configured or stored; " +
                              options_.reauthorize_hint);
    }
    co_return current_.access_token;
}

asio::awaitable<Result<std::string>> TokenManager::refresh_after_rejection(std::string rejected) {
    if (!may_refresh()) {
        co_return Error::auth(
            "account " + options_.account +
            ": the platform refused the access token as expired or revoked, and this command "
            "never refreshes tokens (a refresh rotates the refresh token the daemon holds): "
            "let `commerce-syncd run` or `sync-once` refresh it, then try again");
    }
    // Someone refreshed since `rejected` was handed out: retry with theirs.
    if (!current_.access_token.empty() && current_.access_token != rejected) {
        co_return current_.access_token;
    }
    if (auto flight = flight_) {
        while (!flight->result) {
            boost::system::error_code ec;
            co_await flight->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (!flight->result) co_return Error::cancelled("stopped while a token refresh ran");
        }
        co_return *flight->result;
    }

    auto executor = co_await asio::this_coro::executor;
    auto flight = std::make_shared<Flight>(executor);
    flight_ = flight;
    // Not bound to the caller's cancellation: once the platform has rotated the pair, the new
    // one must reach the store whatever happens to the caller (a stop waits for it).
    auto task = [this, rejected]() -> asio::awaitable<std::optional<Result<std::string>>> {
        co_return std::optional<Result<std::string>>(co_await refresh(rejected));
    };
    std::optional<Result<std::string>> outcome;
    try {
        outcome = co_await asio::co_spawn(
            executor, std::move(task),
            asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
    } catch (const std::exception& e) {
        outcome.emplace(Error::transient("account " + options_.account +
                                         ": token refresh failed: " + e.what()));
    }
    flight->result = std::move(*outcome);
    flight_.reset();
    flight->done.cancel();
    co_return *flight->result;
}

asio::awaitable<Result<std::string>> TokenManager::refresh(std::string rejected) {
    // Another process (or this one before a restart) may have rotated the pair already: the
    // stored state is the truth, and a rotated refresh token is only valid in its newest form.
    auto state = co_await options_.store->load_account_state();
    if (!state.ok()) co_return state.error();
    if (auto stored = stored_pair(*state)) {
        if (!stored->access_token.empty() && stored->access_token != rejected) {
            current_ = *stored;
            register_secrets(current_);
            co_return current_.access_token;
        }
        current_ = *stored;
    }
    auto answered = co_await refresher_(current_);
    if (!answered.ok()) {
        const Error& e = answered.error();
        // Network trouble and garbage are retried with the page (a refresh token the platform
        // did rotate is then refused, which parks the account below).
        if (e.kind == ErrorKind::transient || e.kind == ErrorKind::rate_limited ||
            e.kind == ErrorKind::cancelled || e.kind == ErrorKind::storage ||
            e.kind == ErrorKind::bad_response) {
            co_return e;
        }
        if (e.kind == ErrorKind::auth) {
            co_return Error::auth("account " + options_.account + ": " + e.message);
        }
        co_return Error::auth("account " + options_.account + ": the token refresh was refused (" +
                              e.describe() + "); " + options_.reauthorize_hint);
    }
    ++refreshes_;
    TokenPair next = std::move(answered.value());
    // A platform that does not rotate the refresh token answers without one: keep ours.
    if (next.refresh_token.empty()) next.refresh_token = current_.refresh_token;
    register_secrets(next);
    current_ = std::move(next);
    if (Status st = co_await store_current(); !st.ok()) co_return st.error();
    co_return current_.access_token;
}

}  // namespace csync
