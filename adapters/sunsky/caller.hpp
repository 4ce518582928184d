#pragma once
// One signed Sunsky call: request, transport, envelope. Shared by every stream of the adapter.

#include <functional>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/platform_call.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "sunsky/protocol.hpp"

namespace csync::sunsky {

class Caller {
  public:
    Caller(const AdapterDeps& deps, Credentials credentials)
        : deps_(deps), credentials_(std::move(credentials)) {}

    // The request as it goes on the wire (signed, with the account's timeout).
    Result<HttpRequest> request(const std::string& method, const Params& params) const {
        auto request =
            build_request(deps_.account.base_url, method, params, credentials_, deps_.account.name);
        if (request.ok()) request->timeout = deps_.account.request_timeout;
        return request;
    }

    // Through the one call path every adapter shares (core/platform_call.hpp).
    boost::asio::awaitable<Result<nlohmann::json>> call(std::string method, Params params) {
        PlatformCall steps;
        steps.build = [&](const std::string&) { return request(method, params); };
        steps.read = [this](const HttpResponse& response) {
            return parse_envelope(response, deps_.clock.now());
        };
        co_return co_await call_platform(deps_.http, nullptr, steps, sent_);
    }

    // The same call, the answer read by `read` (which keeps what it reads): for a hot path that
    // does not go through a JSON document.
    boost::asio::awaitable<Status> call_read(std::string method, Params params,
                                             std::function<Status(const HttpResponse&)> read) {
        PlatformCall steps;
        steps.build = [&](const std::string&) { return request(method, params); };
        steps.read = [&read](const HttpResponse& response) -> Result<nlohmann::json> {
            Status status = read(response);
            if (!status.ok()) return status.error();
            return nlohmann::json();
        };
        auto answer = co_await call_platform(deps_.http, nullptr, steps, sent_);
        if (!answer.ok()) co_return answer.error();
        co_return Status{};
    }
    // Requests sent since the last take, the HTTP client's own resends included: a stream's page
    // reports them, or its failure does (failed_fetch), so runs count what the platform saw.
    void note_sent(std::int64_t n) { sent_ += n; }
    std::int64_t take_sent() { return std::exchange(sent_, 0); }

    const AdapterDeps& deps() const { return deps_; }

  private:
    AdapterDeps deps_;
    Credentials credentials_;
    std::int64_t sent_ = 0;
};

}  // namespace csync::sunsky
