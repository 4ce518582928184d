#include "core/platform_call.hpp"

#include <utility>

namespace csync {

boost::asio::awaitable<Result<nlohmann::json>> call_platform(HttpClient& http, TokenManager* tokens,
                                                             const PlatformCall& call,
                                                             std::int64_t& requests) {
    std::string token;
    if (tokens) {
        auto current = co_await tokens->access_token();
        if (!current.ok()) co_return current.error();
        token = std::move(current.value());
    }
    for (int attempt = 1;; ++attempt) {
        auto request = call.build(token);
        if (!request.ok()) co_return request.error();
        auto response = co_await http.send(std::move(request.value()));
        requests += requests_sent(response);
        if (!response.ok()) co_return response.error();
        auto answer = call.read(*response);
        if (answer.ok() || answer.error().kind != ErrorKind::token_expired) co_return answer;
        if (!tokens) {
            co_return Error::auth(answer.error().message +
                                  " (this platform's adapter has no token to refresh)");
        }
        // A token refused right after its refresh was revoked again meanwhile or is not yet
        // known to every gateway node: retried later (the retry policy bounds it). A lasting
        // authorisation problem shows in the refresh itself, which parks the account.
        if (attempt == 2) {
            co_return Error::transient(
                "the platform refused a freshly refreshed access token (" + answer.error().message +
                "); retrying later; if this persists, " + tokens->reauthorize_hint());
        }
        auto refreshed = co_await tokens->refresh_after_rejection(token);
        if (!refreshed.ok()) co_return refreshed.error();
        token = std::move(refreshed.value());
    }
}

}  // namespace csync
