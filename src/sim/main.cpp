// commerce-sim: serves one platform's simulator on loopback, for tests, demos and development.
//   commerce-sim --platform sunsky --port 0 --seed 7 --products 2000 --key K --secret S
// Prints "commerce-sim: <platform> listening on HOST:PORT" once listening, writes the port to
// --port-file when given, and exits 0 on SIGTERM/SIGINT; 2 on bad arguments.

#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "csync/domain/time.hpp"
#include "net/http_server.hpp"
#include "registry.hpp"
#include "sim/simulator_server.hpp"
#include "sim_registry.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// After SIGTERM, answers in flight get this long to finish before the process exits anyway.
constexpr std::chrono::seconds kStopGrace{3};

std::string known_platforms() {
    std::string names;
    for (const auto& p : csync::registered_platforms()) {
        names += names.empty() ? "" : ", ";
        names += p.spec().name;
    }
    return names;
}

// NAME=VALUE arguments of a repeatable flag into `out`; false (and why, on stderr) on a bad one.
bool add_name_values(const char* flag, const std::vector<std::string>& args,
                     std::map<std::string, std::string>& out) {
    for (const auto& arg : args) {
        const auto eq = arg.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << "commerce-sim: " << flag << " takes NAME=VALUE, got '" << arg << "'\n";
            return false;
        }
        out[arg.substr(0, eq)] = arg.substr(eq + 1);
    }
    return true;
}

// Readers poll for the file: they must never see it half written.
bool write_port_file(const std::string& path, std::uint16_t port, std::string& error) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << port << '\n';
        out.close();
        if (!out) {
            error = "cannot write " + tmp;
            std::remove(tmp.c_str());
            return false;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        error = "cannot rename " + tmp + " to " + path + ": " + ec.message();
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"commerce-sim serves a local simulator of a commerce platform's API"};
    std::string platform_name;
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::uint64_t seed = 1;
    std::size_t products = 1000;
    int rate_limit = 0;
    std::string time_zone = "Asia/Shanghai";
    std::string port_file;
    std::string tls_cert;
    std::string tls_key;
    std::vector<std::string> extra_credentials;
    // Generic credential flags, stored under the platform's own credential names.
    const std::vector<std::pair<std::string, std::string>> credential_flags = {
        {"--key", "key"},     {"--secret", "secret"},
        {"--sid", "sid"},     {"--appsecret", "appsecret"},
        {"--appid", "appid"}, {"--app-secret", "app_secret"},
    };
    std::map<std::string, std::string> flag_values;

    app.add_option("--platform", platform_name, "platform to simulate")->required();
    app.add_option("--host", host, "address to listen on")->capture_default_str();
    app.add_option("--port", port, "port to listen on; 0 picks a free one")->capture_default_str();
    app.add_option("--seed", seed, "seed of the generated data")->capture_default_str();
    app.add_option("--products", products, "number of products to generate")->capture_default_str();
    app.add_option("--rate-limit", rate_limit, "API calls allowed per minute; 0: no limit")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--timezone", time_zone, "the platform's local time zone (IANA name)")
        ->capture_default_str();
    app.add_option("--port-file", port_file, "write the bound port to this file");
    auto* cert_opt =
        app.add_option("--tls-cert", tls_cert, "serve HTTPS with this PEM certificate");
    auto* key_opt = app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
    cert_opt->needs(key_opt);
    key_opt->needs(cert_opt);
    for (const auto& [flag, name] : credential_flags) {
        app.add_option(flag, flag_values[name], "credential '" + name + "'");
    }
    app.add_option("--cred", extra_credentials, "any credential, NAME=VALUE (repeatable)");
    std::vector<std::string> readings;
    app.add_option("--reading", readings,
                   "which reading of an unverified platform behaviour to simulate, NAME=VALUE "
                   "(repeatable; see the platform's simulator)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitUsage;
    }

    const csync::PlatformRegistration* platform = csync::find_platform(platform_name);
    if (platform == nullptr) {
        std::cerr << "commerce-sim: unknown platform '" << platform_name
                  << "'; known platforms: " << known_platforms() << '\n';
        return kExitUsage;
    }
    if (auto zone = csync::TimeZone::from_name(time_zone); !zone.ok()) {
        std::cerr << "commerce-sim: --timezone: " << zone.error().message << '\n';
        return kExitUsage;
    }

    csync::SimOptions sim_options;
    sim_options.seed = seed;
    sim_options.products = products;
    sim_options.rate_limit_per_minute = rate_limit;
    sim_options.timezone = time_zone;
    for (const auto& [name, value] : flag_values) {
        if (!value.empty()) {
            sim_options.credentials[name] = value;
        }
    }
    if (!add_name_values("--cred", extra_credentials, sim_options.credentials) ||
        !add_name_values("--reading", readings, sim_options.readings)) {
        return kExitUsage;
    }

    std::unique_ptr<csync::SimulatedPlatform> simulated;
    try {
        const csync::SimulatorRegistration* simulator = csync::find_simulator(platform_name);
        if (simulator != nullptr) simulated = simulator->make(sim_options);
    } catch (const std::exception& e) {
        std::cerr << "commerce-sim: cannot start the " << platform_name
                  << " simulator: " << e.what() << '\n';
        return kExitUsage;
    }
    if (!simulated) {
        std::cerr << "commerce-sim: platform " << platform_name << " has no simulator\n";
        return kExitUsage;
    }

    boost::asio::io_context ioc(1);
    csync::HttpServerOptions server_options;
    server_options.host = host;
    server_options.port = port;
    if (!tls_cert.empty()) {
        server_options.tls_cert_file = tls_cert;
        server_options.tls_key_file = tls_key;
    }
    csync::sim::SimulatorServer server(ioc.get_executor(), std::move(simulated), server_options);
    if (auto started = server.start(); !started.ok()) {
        std::cerr << "commerce-sim: " << started.error().message << '\n';
        return kExitFailure;
    }
    const bool ipv6 = host.find(':') != std::string::npos;
    std::cout << "commerce-sim: " << platform_name << " listening on "
              << (ipv6 ? "[" + host + "]" : host) << ':' << server.port() << std::endl;
    if (!port_file.empty()) {
        std::string error;
        if (!write_port_file(port_file, server.port(), error)) {
            std::cerr << "commerce-sim: --port-file: " << error << '\n';
            return kExitFailure;
        }
    }

    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    bool stopping = false;
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            stopping = true;
            server.stop();
        }
    });
    while (!stopping && ioc.run_one() > 0) {
    }
    // Stopped: answers in flight get a short grace; run_for returns early once all are out.
    ioc.run_for(kStopGrace);
    return kExitOk;
}
