#pragma once
// Serves a SimulatedPlatform over HTTP with the control routes every simulator shares:
//   GET  /__sim/truth            all records, NDJSON
//   POST /__sim/mutate?count=N   modify N records now → {"mutated":N}
//   GET|POST /__sim/faults       show / replace the fault settings (see fault_injector.hpp)
//   GET  /__sim/stats            request and injected-fault counters
//   other /__sim/*               the platform's own control routes
// Every other request goes through the fault injector, then to the platform.
//
// Thread affinity: calls into the platform are serialised by a mutex, so the io_context may run
// on one thread or several. start()/stop() as for HttpServer. Nothing here throws, except what
// the platform itself throws (answered as 500 by the server frame).

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "csync/error.hpp"
#include "csync/sim/simulated_platform.hpp"
#include "net/http_server.hpp"

namespace csync::sim {

class SimulatorServer {
  public:
    SimulatorServer(boost::asio::any_io_executor executor,
                    std::unique_ptr<SimulatedPlatform> platform, HttpServerOptions options);
    ~SimulatorServer();
    SimulatorServer(const SimulatorServer&) = delete;
    SimulatorServer& operator=(const SimulatorServer&) = delete;

    Result<void> start();
    std::uint16_t port() const;
    void stop();

    // The answer the server gives to `request`, transport faults included as ServerResponse
    // fields: the HTTP handler, also callable directly.
    ServerResponse handle(const ServerRequest& request);

  private:
    struct State;
    static boost::asio::awaitable<ServerResponse> answer(std::shared_ptr<State> state,
                                                         ServerRequest request);

    std::shared_ptr<State> state_;
    std::unique_ptr<HttpServer> server_;
};

}  // namespace csync::sim
