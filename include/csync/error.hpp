#pragma once
// Expected failures are values with a type. The retry policy (core/retry_policy.hpp) decides what
// to do from the kind alone, so adapters only have to classify, never to retry.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace csync {

enum class ErrorKind {
    auth,           // wrong key/secret/signature, account disabled: park the account, never retry
    token_expired,  // an access token expired or was revoked: refresh it once, re-sign, retry once
    rate_limited,   // the platform said "slow down": retry after its hint or a backoff
    transient,      // network, timeout, 5xx, platform database error: retry with backoff
    bad_response,  // garbage, truncated or unexpected payload: retry a few times, then fail the run
    config,        // bad configuration or a request the platform rejects as malformed: no retry
    storage,       // the local database failed (disk full, I/O): stop the stream, keep the cursor
    cancelled,     // shutdown in progress
    fenced,  // this process no longer holds the account's lease: stop its streams, never retry
};

std::string_view to_string(ErrorKind kind) noexcept;

struct Error {
    ErrorKind kind = ErrorKind::transient;
    std::string message;
    // A platform's own wait hint (Retry-After, "per minute" limits); the backoff honours it.
    std::optional<std::chrono::milliseconds> retry_after;
    // Times the HTTP client itself sent the request again before failing (HttpResponse::resent):
    // the failure cost 1 + resent requests on the wire.
    int resent = 0;
    // The requests a failed page fetch had sent, resends included (its earlier successful calls
    // too), when the fetch counted them (failed_fetch); nullopt: count 1 + resent.
    std::optional<std::int64_t> requests;

    static Error auth(std::string m) { return {ErrorKind::auth, std::move(m), {}}; }
    static Error token_expired(std::string m) {
        return {ErrorKind::token_expired, std::move(m), {}};
    }
    static Error rate_limited(std::string m, std::optional<std::chrono::milliseconds> after = {}) {
        return {ErrorKind::rate_limited, std::move(m), after};
    }
    static Error transient(std::string m) { return {ErrorKind::transient, std::move(m), {}}; }
    static Error bad_response(std::string m) { return {ErrorKind::bad_response, std::move(m), {}}; }
    static Error config(std::string m) { return {ErrorKind::config, std::move(m), {}}; }
    static Error storage(std::string m) { return {ErrorKind::storage, std::move(m), {}}; }
    static Error cancelled(std::string m = "cancelled") {
        return {ErrorKind::cancelled, std::move(m), {}};
    }
    static Error fenced(std::string m) { return {ErrorKind::fenced, std::move(m), {}}; }

    // "auth: signature rejected (NO_PERMISSION_DUE_TO_SIGNATURE)"
    std::string describe() const;
};

// A value or an Error. Small on purpose: std::expected is C++23 and GCC 12 is the target.
template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT(implicit)
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}  // NOLINT(implicit)

    bool ok() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const& { return *error_; }
    Error&& error() && { return std::move(*error_); }

  private:
    std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace csync
