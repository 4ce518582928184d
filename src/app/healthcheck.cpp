#include "app/healthcheck.hpp"

#include <chrono>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "app/daemon.hpp"
#include "net/beast_http_client.hpp"

namespace csync::app {

std::optional<std::string> healthz_url(const HttpListenConfig& listen) {
    if (!listen.enabled || listen.port == 0) return std::nullopt;
    std::string host = listen.host;
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return "http://" + host + ":" + std::to_string(listen.port) + "/healthz";
}

int run_healthcheck(const Config& config) {
    auto url = healthz_url(config.http);
    if (!url) {
        std::cerr << "commerce-syncd healthcheck: http.listen in " << config.source_path
                  << " is off or port 0: there is no endpoint to ask\n";
        return kExitUsage;
    }
    boost::asio::io_context ioc(1);
    HttpClientOptions options;
    options.connect_timeout = std::chrono::seconds(3);
    options.read_timeout = std::chrono::seconds(5);
    options.max_response_bytes = 64 * 1024;
    BeastHttpClient client(ioc.get_executor(), options);
    HttpRequest request;
    request.url = *url;
    request.timeout = std::chrono::seconds(5);
    auto answer = boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<std::optional<Result<HttpResponse>>> {
            co_return std::optional<Result<HttpResponse>>(co_await client.send(request));
        },
        boost::asio::use_future);
    ioc.run();
    auto response = std::move(*answer.get());
    if (!response.ok()) {
        std::cerr << "commerce-syncd healthcheck: " << *url << ": " << response.error().describe()
                  << '\n';
        return kExitSyncFailed;
    }
    if (response->status != 200) {
        std::cerr << "commerce-syncd healthcheck: " << *url << " answered HTTP " << response->status
                  << '\n';
        return kExitSyncFailed;
    }
    std::cout << "healthy: " << *url << '\n';
    return kExitOk;
}

}  // namespace csync::app
