#pragma once
// Calls a SunskySimulator the way the adapter does (a signed form POST through the in-process
// SimHttpClient) and parses the answer, synchronously, for tests that drive the simulator alone.

#include <chrono>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "core/run_coro.hpp"
#include "fakes/sim_http_client.hpp"
#include "sunsky/protocol.hpp"
#include "sunsky/simulator.hpp"

namespace csync::sunsky::testing {

inline HttpResponse send(SunskySimulator& sim, HttpRequest request) {
    boost::asio::io_context io;
    csync::testing::SimHttpClient http(sim);
    auto r = csync::testing::run_coro(io, http.send(std::move(request)));
    return std::move(r).value();
}

inline HttpRequest signed_request(const std::string& method, const Params& params,
                                  const Credentials& credentials) {
    return build_request("http://sim", method, params, credentials, "t").value();
}

inline HttpResponse raw_call(SunskySimulator& sim, const std::string& method, const Params& params,
                             const Credentials& credentials) {
    return send(sim, signed_request(method, params, credentials));
}

inline Result<nlohmann::json> call(SunskySimulator& sim, const std::string& method,
                                   const Params& params, const Credentials& credentials) {
    return parse_envelope(raw_call(sim, method, params, credentials),
                          std::chrono::system_clock::time_point{});
}

}  // namespace csync::sunsky::testing
