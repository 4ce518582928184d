#pragma once
// An HttpClient that answers from a SimulatedPlatform in process: the adapter's real requests
// (URL, headers, bytes) reach the simulator's real verification and paging, with no socket.
// `before_call` lets a test act between calls (mutate records mid-sync); `fail_at` makes the
// n-th call (1-based) fail with the given error, as Beast's fail_count does for streams;
// `after_call` may rewrite an answer (a platform answering what it should not).

#include <functional>
#include <map>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "csync/ports/http_client.hpp"
#include "csync/sim/simulated_platform.hpp"

namespace csync::testing {

class SimHttpClient final : public HttpClient {
  public:
    explicit SimHttpClient(SimulatedPlatform& platform) : platform_(platform) {}

    boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest request) override {
        ++calls_;
        if (before_call) before_call(calls_, request);
        if (auto it = failures_.find(calls_); it != failures_.end()) co_return it->second;
        requests.push_back(request);

        ServerRequest sr;
        sr.method = request.method;
        auto scheme_end = request.url.find("://");
        auto path_begin =
            request.url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
        sr.target = path_begin == std::string::npos ? "/" : request.url.substr(path_begin);
        auto q = sr.target.find('?');
        sr.path = form_decode(sr.target.substr(0, q));
        if (q != std::string::npos) sr.query = parse_form(sr.target.substr(q + 1));
        sr.headers = request.headers;
        sr.body = request.body;

        ServerResponse r = platform_.handle(sr);
        HttpResponse out;
        out.status = r.status;
        out.headers = r.headers;
        out.headers.emplace_back("Content-Type", r.content_type);
        out.body = std::move(r.body);
        if (after_call) after_call(request, out);
        co_return out;
    }

    // Makes call number `n` (1-based, counting every call) fail with `error`.
    void fail_at(int n, Error error) { failures_.insert_or_assign(n, std::move(error)); }
    int calls() const { return calls_; }

    std::function<void(int call, const HttpRequest&)> before_call;
    std::function<void(const HttpRequest&, HttpResponse&)> after_call;
    std::vector<HttpRequest> requests;  // the requests that reached the simulator

  private:
    SimulatedPlatform& platform_;
    int calls_ = 0;
    std::map<int, Error> failures_;
};

}  // namespace csync::testing
