#pragma once
// A small HTTP/1.1 server frame (Beast underneath, hidden here): the status/metrics endpoint and
// the platform simulators are handlers plugged into it.
//
// - Keep-alive sessions, one coroutine per connection; plain TCP or TLS (PEM cert + key).
// - Each request becomes a ServerRequest (raw target, decoded path and query, headers, raw body);
//   the handler's ServerResponse is sent back, after its `delay`, or misbehaves on purpose as its
//   `fault` asks (reset: close without answering; truncate: full Content-Length, half the body).
// - A handler that throws answers 500 with the exception's text; the session goes on.
//
// Thread affinity: construct, start and stop on the executor's thread (or before the io_context
// runs); everything else happens on that executor. start() and stop() do not throw. Sessions hold
// the handler alive until they end, so what the handler captures must outlive the io_context's
// run, not just the server object.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "csync/error.hpp"
#include "csync/ports/http_server.hpp"

namespace csync {

struct HttpServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;                        // 0: an ephemeral port, see HttpServer::port()
    std::size_t max_body_bytes = 8 * 1024 * 1024;  // larger requests get 413
    // How long a connection may take to deliver one request, and to accept its answer.
    std::chrono::milliseconds read_timeout{30'000};
    // How long a connection may take to deliver a request's headers, counted from its opening or
    // from its previous answer (so also how long an idle keep-alive connection stays open): a
    // client trickling its headers byte by byte is dropped after this, whatever read_timeout is.
    std::chrono::milliseconds header_timeout{10'000};
    // Connections served at once; one more is closed as soon as it is accepted, so that a flood
    // of clients costs a bounded amount of memory and never the executor's other work.
    std::size_t max_connections = 256;
    std::optional<std::string> tls_cert_file;  // PEM certificate chain; TLS when set
    std::optional<std::string> tls_key_file;   // PEM private key, required with the cert
};

// Parses one complete HTTP/1.1 request from `raw` with the limits the server applies (headers up
// to 64 KiB, the body up to `max_body_bytes`) into what a handler receives. A malformed,
// oversized or incomplete request is a bad_response error saying why. The server's own parsing,
// callable without a socket (for fuzzing).
Result<ServerRequest> parse_http_request(std::string_view raw, std::size_t max_body_bytes);

class HttpServer {
  public:
    using Handler = std::function<boost::asio::awaitable<ServerResponse>(ServerRequest)>;

    HttpServer(boost::asio::any_io_executor executor, HttpServerOptions options, Handler handler);
    ~HttpServer();  // stop()
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds, listens and starts accepting. Errors are config errors naming the address:
    // "cannot listen on 127.0.0.1:9464: address in use".
    Result<void> start();
    // The bound port (the ephemeral one when options.port was 0); 0 before start().
    std::uint16_t port() const;
    // Stops accepting and closes idle connections; a request being answered is answered, then
    // its connection closes. Idempotent.
    void stop();

    // Connections accepted since start(): lets tests observe keep-alive reuse.
    std::size_t connections_accepted() const;
    // Connections closed on arrival because max_connections were open.
    std::size_t connections_refused() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace csync
