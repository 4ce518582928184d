#include "sim/simulator_server.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "sim/fault_injector.hpp"

namespace csync::sim {
namespace {

using nlohmann::json;

constexpr std::string_view kControlPrefix = "/__sim/";

ServerResponse json_response(int status, const json& body) {
    ServerResponse r;
    r.status = status;
    r.content_type = "application/json";
    r.body = body.dump();
    return r;
}

ServerResponse json_error(int status, const std::string& message) {
    return json_response(status, json{{"error", message}});
}

ServerResponse method_not_allowed(const ServerRequest& request, std::string allowed) {
    ServerResponse r =
        json_error(405, request.method + " is not allowed on " + request.path + "; use " + allowed);
    r.headers.emplace_back("Allow", std::move(allowed));
    return r;
}

}  // namespace

struct SimulatorServer::State {
    explicit State(std::unique_ptr<SimulatedPlatform> p) : platform(std::move(p)) {}

    ServerResponse handle(const ServerRequest& request);
    ServerResponse control(const ServerRequest& request);
    ServerResponse platform_call(const ServerRequest& request);
    json stats_json() const;

    std::mutex mutex;  // serialises everything below
    std::unique_ptr<SimulatedPlatform> platform;
    FaultInjector injector;
    std::uint64_t requests = 0;
    std::uint64_t control_requests = 0;
    std::map<std::string, std::uint64_t> per_path;
    std::map<std::string, std::uint64_t> faults_injected;
};

ServerResponse SimulatorServer::State::handle(const ServerRequest& request) {
    std::lock_guard lock(mutex);
    if (request.path.compare(0, kControlPrefix.size(), kControlPrefix) == 0) {
        ++control_requests;
        return control(request);
    }
    return platform_call(request);
}

ServerResponse SimulatorServer::State::control(const ServerRequest& request) {
    const std::string_view route = std::string_view(request.path).substr(kControlPrefix.size());
    if (route == "truth") {
        if (request.method != "GET") {
            return method_not_allowed(request, "GET");
        }
        ServerResponse r;
        r.content_type = "application/x-ndjson";
        r.body = platform->truth_ndjson();
        return r;
    }
    if (route == "mutate") {
        if (request.method != "POST") {
            return method_not_allowed(request, "POST");
        }
        auto count = count_param(request, "count", 1);
        if (!count) {
            return json_error(400, "count must be a non-negative integer, got '" +
                                       request.query_param("count") + "'");
        }
        return json_response(200, json{{"mutated", platform->mutate(*count)}});
    }
    if (route == "faults") {
        if (request.method == "POST") {
            auto parsed = parse_fault_settings(request.body);
            if (!parsed.ok()) {
                return json_error(400, parsed.error().message);
            }
            injector.configure(*parsed);
        } else if (request.method != "GET") {
            return method_not_allowed(request, "GET, POST");
        }
        ServerResponse r;
        r.body = fault_settings_json(injector.settings());
        return r;
    }
    if (route == "stats") {
        if (request.method != "GET") {
            return method_not_allowed(request, "GET");
        }
        return json_response(200, stats_json());
    }
    return platform->control(request);
}

ServerResponse SimulatorServer::State::platform_call(const ServerRequest& request) {
    ++requests;
    ++per_path[request.path];
    FaultDecision fate = injector.next();
    ServerResponse response;
    switch (fate.kind) {
        case FaultKind::http_500:
            response = json_error(500, "simulated internal server error");
            break;
        case FaultKind::reset:
            // The connection drops before the platform sees the request.
            response.fault = TransportFault::reset;
            response.body.clear();
            break;
        case FaultKind::truncate:
            // The platform did the work; the answer is lost on the way.
            response = platform->handle(request);
            if (response.body.size() < 2) {
                response.body = R"({"note":"padding so that half a body is a short body"})";
            }
            response.fault = TransportFault::truncate;
            break;
        case FaultKind::non_json:
            response.status = 200;
            response.content_type = "text/html";
            response.body = "<html>502 Bad Gateway</html>";
            break;
        case FaultKind::rate_limit:
            response = platform->rate_limit_response();
            break;
        case FaultKind::deep_nesting: {
            // What anyone on a plain-HTTP path could send: a success envelope around data nested
            // far deeper than any real answer, to find readers that recurse without a bound.
            const std::size_t depth = injector.settings().nesting_depth;
            response.status = 200;
            response.content_type = "application/json";
            response.body.reserve(2 * depth + 64);
            response.body = R"({"result":"success","code":0,"data":)";
            response.body.append(depth, '[');
            response.body.append(depth, ']');
            response.body += "}";
            break;
        }
        case FaultKind::huge_body:
            // Valid JSON that never ends soon: a client must stop at its size cap, not buffer it.
            response.status = 200;
            response.content_type = "application/json";
            response.body = R"({"result":"success","data":")";
            response.body.resize(
                std::max(injector.settings().huge_body_bytes, response.body.size() + 2), 'x');
            response.body.replace(response.body.size() - 2, 2, "\"}");
            break;
        case FaultKind::token_revoked:
            // Revoked just before the call arrives: the platform's own refusal, or for a token
            // call, a new token. A platform without tokens answers as usual.
            if (!platform->revoke_token()) fate.kind = FaultKind::none;
            response = platform->handle(request);
            break;
        case FaultKind::none:
            response = platform->handle(request);
            break;
    }
    if (fate.kind != FaultKind::none) {
        ++faults_injected[std::string(to_string(fate.kind))];
    }
    if (fate.delayed) {
        ++faults_injected["delay"];
        response.delay += injector.settings().delay_ms;
    }
    return response;
}

json SimulatorServer::State::stats_json() const {
    json faults = json::object();
    for (const auto& [kind, n] : faults_injected) {
        faults[kind] = n;
    }
    json paths = json::object();
    for (const auto& [path, n] : per_path) {
        paths[path] = n;
    }
    return json{{"requests", requests},
                {"control_requests", control_requests},
                {"paths", paths},
                {"faults", faults}};
}

SimulatorServer::SimulatorServer(boost::asio::any_io_executor executor,
                                 std::unique_ptr<SimulatedPlatform> platform,
                                 HttpServerOptions options)
    : state_(std::make_shared<State>(std::move(platform))) {
    server_ = std::make_unique<HttpServer>(
        std::move(executor), std::move(options),
        [state = state_](ServerRequest request) { return answer(state, std::move(request)); });
}

SimulatorServer::~SimulatorServer() = default;

Result<void> SimulatorServer::start() {
    if (!state_->platform) {
        return Error::config("simulator has no platform to serve");
    }
    return server_->start();
}

std::uint16_t SimulatorServer::port() const { return server_->port(); }

void SimulatorServer::stop() { server_->stop(); }

ServerResponse SimulatorServer::handle(const ServerRequest& request) {
    return state_->handle(request);
}

// A static function, not a capturing coroutine lambda: the coroutine frame owns its arguments.
boost::asio::awaitable<ServerResponse> SimulatorServer::answer(std::shared_ptr<State> state,
                                                               ServerRequest request) {
    co_return state->handle(request);
}

}  // namespace csync::sim
