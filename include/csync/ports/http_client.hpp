#pragma once
// The network port. Implemented with Beast + OpenSSL in src/net; tests use fakes.
// Every failure comes back as an Error: transport problems are `transient`, TLS verification
// failures `config`, an over-size body `bad_response`. HTTP statuses are NOT errors here:
// the adapter reads the status and the body and classifies.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "csync/error.hpp"

namespace csync {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // absolute: http(s)://host[:port]/path?query
    HttpHeaders headers;
    std::string body;
    // Connections are pooled per (scheme, host, port, connection_key); adapters set the key to
    // keep tenants apart (Wangdiantong: one sid never shares a keep-alive connection with another).
    std::string connection_key;
    std::chrono::milliseconds timeout{60'000};  // whole exchange: connect + write + read

    std::string header(std::string_view name) const;  // case-insensitive, "" when absent
};

struct HttpResponse {
    int status = 0;
    HttpHeaders headers;
    std::string body;
    // Times the client sent the request again itself (a reused connection the peer dropped
    // before answering: the request goes once more on a fresh one). Whoever counts requests
    // counts 1 + resent: the peer may have received each of them.
    int resent = 0;

    std::string header(std::string_view name) const;  // case-insensitive, "" when absent
};

// The requests one send put on the wire: 1, plus the client's own resends.
inline std::int64_t requests_sent(const Result<HttpResponse>& result) {
    return 1 + (result.ok() ? result->resent : result.error().resent);
}

class HttpClient {
  public:
    virtual ~HttpClient() = default;
    virtual boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest request) = 0;
};

// Percent-encoding as form bodies and query strings use it (RFC 1738 flavour: space -> '+',
// everything but [A-Za-z0-9._-~] -> %XX), and its inverse.
std::string form_encode(std::string_view s);
std::string form_decode(std::string_view s);
std::string build_form(const std::vector<std::pair<std::string, std::string>>& params);
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body);

}  // namespace csync
