#pragma once
// Calls a SunskySimulator the way the adapter does (a signed form POST) and parses the answer.

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "csync/ports/http_server.hpp"
#include "sunsky/protocol.hpp"
#include "sunsky/simulator.hpp"

namespace csync::sunsky::testing {

inline SimRequest to_sim_request(const HttpRequest& request) {
    SimRequest sr;
    sr.method = request.method;
    auto path_begin = request.url.find('/', request.url.find("://") + 3);
    sr.target = request.url.substr(path_begin);
    sr.path = form_decode(sr.target);
    sr.headers = request.headers;
    sr.body = request.body;
    return sr;
}

inline SimResponse raw_call(SunskySimulator& sim, const std::string& method, const Params& params,
                            const Credentials& credentials) {
    auto request = build_request("http://sim", method, params, credentials, "t");
    return sim.handle(to_sim_request(*request));
}

inline Result<nlohmann::json> call(SunskySimulator& sim, const std::string& method,
                                   const Params& params, const Credentials& credentials) {
    SimResponse r = raw_call(sim, method, params, credentials);
    HttpResponse h;
    h.status = r.status;
    h.body = r.body;
    return parse_envelope(h, std::chrono::system_clock::time_point{});
}

}  // namespace csync::sunsky::testing
