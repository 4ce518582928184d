#pragma once
// One signed Sunsky call: request, transport, envelope. Shared by every stream of the adapter.

#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

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

    boost::asio::awaitable<Result<nlohmann::json>> call(std::string method, Params params) {
        auto request = this->request(method, params);
        if (!request.ok()) co_return std::move(request).error();
        auto response = co_await deps_.http.send(std::move(*request));
        if (!response.ok()) co_return std::move(response).error();
        co_return parse_envelope(*response, deps_.clock.now());
    }

    const AdapterDeps& deps() const { return deps_; }

  private:
    AdapterDeps deps_;
    Credentials credentials_;
};

}  // namespace csync::sunsky
