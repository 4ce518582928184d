#pragma once
// `commerce-syncd healthcheck`: asks the running daemon's /healthz at the configured http.listen,
// over loopback. For container health checks (the slim image has no curl).

#include <optional>
#include <string>

#include "csync/config.hpp"

namespace csync::app {

// The URL the daemon's /healthz answers on, as seen from the same host: a wildcard listen
// address (0.0.0.0, ::) is asked on loopback. nullopt when the endpoint is off or on port 0.
std::optional<std::string> healthz_url(const HttpListenConfig& listen);

// Exit code: 0 when /healthz answers 200, 1 otherwise (2: nothing to ask). Says why on stderr.
int run_healthcheck(const Config& config);

}  // namespace csync::app
