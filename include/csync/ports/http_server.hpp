#pragma once
// Plain request/response values for the small HTTP servers the project runs (the status and
// metrics endpoint, the platform simulators). No Beast types: the server frame lives in src/net.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csync/ports/http_client.hpp"

namespace csync {

struct ServerRequest {
    std::string method;  // "GET", "POST"
    std::string target;  // raw request target, e.g. "/openapi?key=a&sign=b"
    std::string path;    // decoded path without the query
    std::vector<std::pair<std::string, std::string>> query;  // decoded query parameters
    HttpHeaders headers;
    std::string body;  // raw bytes as received

    std::string header(std::string_view name) const;       // case-insensitive, "" when absent
    std::string query_param(std::string_view name) const;  // "" when absent
};

// How the server frame misbehaves on purpose (simulator faults). Only the simulators' build of
// the frame (csync_http_server_faults) honours `fault` and `delay`; the daemon's ignores them.
enum class TransportFault {
    none,
    reset,     // close the connection without answering
    truncate,  // announce the full Content-Length, send half the body, close
};

struct ServerResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    HttpHeaders headers;
    std::chrono::milliseconds delay{0};  // wait this long before answering
    TransportFault fault = TransportFault::none;
};

}  // namespace csync
