#include "net/http_server.hpp"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "net/url.hpp"

namespace csync {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kMaxRequestHeaderBytes = 64 * 1024;

// A live connection as stop() sees it.
struct SessionEntry {
    beast::tcp_stream* tcp = nullptr;
    bool idle = true;  // waiting for a request (or handshaking): safe to close at once
};

std::string listen_address(const std::string& host, std::uint16_t port) {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ServerRequest to_server_request(http::request<http::string_body>&& req) {
    ServerRequest out;
    out.method = std::string(req.method_string());
    out.target = std::string(req.target());
    const auto question = out.target.find('?');
    out.path = net::percent_decode(std::string_view(out.target).substr(0, question));
    if (question != std::string::npos) {
        out.query = parse_form(std::string_view(out.target).substr(question + 1));
    }
    for (const auto& field : req) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(req.body());
    return out;
}

http::response<http::string_body> to_beast_response(ServerResponse&& response, unsigned version,
                                                    bool keep_alive) {
    http::response<http::string_body> res;
    res.version(version);
    // Beast rejects codes outside 100..999; a handler returning one is a bug, answered as such.
    const bool valid_status = response.status >= 100 && response.status <= 999;
    res.result(static_cast<unsigned>(valid_status ? response.status : 500));
    if (!response.content_type.empty()) {
        res.set(http::field::content_type, response.content_type);
    }
    for (auto& [name, value] : response.headers) {
        res.insert(name, value);
    }
    res.body() = std::move(response.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
}

ServerResponse plain_error(int status, std::string message) {
    ServerResponse r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(message) + "\n";
    return r;
}

bool is_http_parse_error(const error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_version).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

}  // namespace

struct HttpServer::State {
    State(asio::any_io_executor ex, HttpServerOptions opts, Handler h)
        : executor(std::move(ex)), options(std::move(opts)), handler(std::move(h)) {}

    // Static, taking the state by shared_ptr: the coroutine frame owns its arguments from the
    // moment it is created, while a member coroutine would hold a bare `this` until first run.
    static asio::awaitable<void> accept_loop(std::shared_ptr<State> self);
    static asio::awaitable<void> run_session(std::shared_ptr<State> self, tcp::socket socket);
    template <class Stream>
    asio::awaitable<void> serve(Stream& stream, SessionEntry& entry);
    asio::awaitable<ServerResponse> call_handler(ServerRequest request);

    asio::any_io_executor executor;
    HttpServerOptions options;
    Handler handler;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::unique_ptr<ssl::context> tls_context;
    std::uint16_t bound_port = 0;
    bool stopping = false;
    std::size_t accepted = 0;
    std::size_t refused = 0;
    std::size_t live_sessions = 0;
    std::set<SessionEntry*> sessions;
};

asio::awaitable<void> HttpServer::State::accept_loop(std::shared_ptr<State> self) {
    tcp::acceptor& acceptor = *self->acceptor;
    for (;;) {
        error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (self->stopping || !acceptor.is_open()) {
            co_return;
        }
        if (ec) {
            // Out of descriptors and the like: let some connections finish before retrying.
            asio::steady_timer pause(self->executor, std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        ++self->accepted;
        if (self->live_sessions >= self->options.max_connections) {
            ++self->refused;
            socket.close(ec);
            continue;
        }
        ++self->live_sessions;  // counted here: a session coroutine registers itself later
        asio::co_spawn(self->executor, run_session(self, std::move(socket)), asio::detached);
    }
}

asio::awaitable<ServerResponse> HttpServer::State::call_handler(ServerRequest request) {
    std::string failure;
    try {
        co_return co_await handler(std::move(request));
    } catch (const std::exception& e) {
        failure = e.what();
    } catch (...) {
        failure = "unknown exception";
    }
    co_return plain_error(500, "internal error: " + failure);
}

template <class Stream>
asio::awaitable<void> HttpServer::State::serve(Stream& stream, SessionEntry& entry) {
    beast::flat_buffer buffer;
    error_code ec;
    while (!stopping) {
        entry.idle = true;
        http::request_parser<http::string_body> parser;
        parser.body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
        parser.header_limit(static_cast<std::uint32_t>(kMaxRequestHeaderBytes));
        entry.tcp->expires_after(std::min(options.header_timeout, options.read_timeout));
        co_await http::async_read_header(stream, buffer, parser,
                                         asio::redirect_error(asio::use_awaitable, ec));
        if (!ec && !parser.is_done()) {
            entry.idle = false;
            entry.tcp->expires_after(options.read_timeout);
            co_await http::async_read(stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
        }
        entry.idle = false;
        if (ec) {
            std::optional<ServerResponse> refusal;
            if (ec == http::error::body_limit) {
                refusal = plain_error(413, "request body exceeds " +
                                               std::to_string(options.max_body_bytes) + " bytes");
            } else if (ec == http::error::header_limit) {
                refusal = plain_error(431, "request headers exceed " +
                                               std::to_string(kMaxRequestHeaderBytes) + " bytes");
            } else if (is_http_parse_error(ec)) {
                refusal = plain_error(400, "malformed HTTP request: " + ec.message());
            }
            if (refusal) {
                auto res = to_beast_response(std::move(*refusal), 11, false);
                entry.tcp->expires_after(options.read_timeout);
                co_await http::async_write(stream, res,
                                           asio::redirect_error(asio::use_awaitable, ec));
            }
            co_return;
        }

        auto req = parser.release();
        const unsigned version = req.version();
        const bool client_keeps_alive = req.keep_alive();
        ServerResponse response = co_await call_handler(to_server_request(std::move(req)));

#if CSYNC_SERVER_FAULTS
        // Misbehaving on purpose is for the simulators only: the daemon's build of this file
        // (csync_http_server) has none of it, and answers every response as it is.
        if (response.delay.count() > 0) {
            asio::steady_timer timer(executor, response.delay);
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (response.fault == TransportFault::reset) {
            // Linger 0 turns close() into a TCP RST: the client sees a reset, not an answer.
            entry.tcp->socket().set_option(asio::socket_base::linger(true, 0), ec);
            entry.tcp->close();
            co_return;
        }

        const bool keep_alive =
            client_keeps_alive && !stopping && response.fault == TransportFault::none;
        const TransportFault fault = response.fault;
        auto res = to_beast_response(std::move(response), version, keep_alive);
        entry.tcp->expires_after(options.read_timeout);
        if (fault == TransportFault::truncate) {
            // The header announces the full Content-Length; only half the body follows.
            http::response_serializer<http::string_body> serializer(res);
            co_await http::async_write_header(stream, serializer,
                                              asio::redirect_error(asio::use_awaitable, ec));
            if (!ec) {
                co_await asio::async_write(stream,
                                           asio::buffer(res.body().data(), res.body().size() / 2),
                                           asio::redirect_error(asio::use_awaitable, ec));
            }
            entry.tcp->close();
            co_return;
        }
#else
        const bool keep_alive = client_keeps_alive && !stopping;
        auto res = to_beast_response(std::move(response), version, keep_alive);
        entry.tcp->expires_after(options.read_timeout);
#endif
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !keep_alive) {
            co_return;
        }
    }
}

asio::awaitable<void> HttpServer::State::run_session(std::shared_ptr<State> self,
                                                     tcp::socket socket) {
    SessionEntry entry;
    self->sessions.insert(&entry);
    struct Unregister {
        State& state;
        SessionEntry& entry;
        ~Unregister() {
            state.sessions.erase(&entry);
            --state.live_sessions;
        }
    } unregister{*self, entry};

    error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    try {
        if (!self->tls_context) {
            beast::tcp_stream stream(std::move(socket));
            entry.tcp = &stream;
            co_await self->serve(stream, entry);
            stream.socket().shutdown(tcp::socket::shutdown_send, ec);
            stream.close();
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)),
                                                    *self->tls_context);
        entry.tcp = &beast::get_lowest_layer(stream);
        entry.tcp->expires_after(self->options.read_timeout);
        co_await stream.async_handshake(ssl::stream_base::server,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
            co_await self->serve(stream, entry);
        }
        // No TLS close_notify exchange: a peer that never answers it would hold the session.
        entry.tcp->close();
    } catch (const std::exception&) {
        // A session ends on its own failures (e.g. the executor shutting down); nothing to tell.
        if (entry.tcp != nullptr) {
            entry.tcp->close();
        }
    }
}

Result<ServerRequest> parse_http_request(std::string_view raw, std::size_t max_body_bytes) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(static_cast<std::uint64_t>(max_body_bytes));
    parser.header_limit(static_cast<std::uint32_t>(kMaxRequestHeaderBytes));
    parser.eager(true);
    error_code ec;
    std::size_t used = 0;
    while (!parser.is_done() && used < raw.size()) {
        const std::size_t n = parser.put(asio::buffer(raw.data() + used, raw.size() - used), ec);
        if (ec == http::error::need_more) {
            ec = {};
            break;
        }
        if (ec || n == 0) {
            break;
        }
        used += n;
    }
    if (!parser.got_some()) {
        return Error::bad_response("empty HTTP request");
    }
    if (!ec && !parser.is_done()) {
        parser.put_eof(ec);
    }
    if (ec) {
        return Error::bad_response("malformed HTTP request: " + ec.message());
    }
    if (!parser.is_done()) {
        return Error::bad_response("incomplete HTTP request");
    }
    return to_server_request(parser.release());
}

HttpServer::HttpServer(asio::any_io_executor executor, HttpServerOptions options, Handler handler)
    : state_(std::make_shared<State>(std::move(executor), std::move(options), std::move(handler))) {
}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::start() {
    State& st = *state_;
    const std::string where = listen_address(st.options.host, st.options.port);
    if (st.acceptor) {
        return Error::config("HTTP server on " + where + " is already started");
    }
    if (!st.handler) {
        return Error::config("HTTP server on " + where + " has no request handler");
    }
    if (st.options.tls_cert_file.has_value() != st.options.tls_key_file.has_value()) {
        return Error::config("cannot listen on " + where +
                             ": TLS needs both a certificate and a private key file");
    }
    error_code ec;
    if (st.options.tls_cert_file) {
        auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
        context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
        context->use_certificate_chain_file(*st.options.tls_cert_file, ec);
        if (ec) {
            return Error::config("cannot load TLS certificate " + *st.options.tls_cert_file + ": " +
                                 ec.message());
        }
        context->use_private_key_file(*st.options.tls_key_file, ssl::context::pem, ec);
        if (ec) {
            return Error::config("cannot load TLS private key " + *st.options.tls_key_file + ": " +
                                 ec.message());
        }
        st.tls_context = std::move(context);
    }

    tcp::endpoint endpoint;
    if (auto address = asio::ip::make_address(st.options.host, ec); !ec) {
        endpoint = tcp::endpoint(address, st.options.port);
    } else {
        tcp::resolver resolver(st.executor);
        auto results = resolver.resolve(st.options.host, std::to_string(st.options.port),
                                        tcp::resolver::passive, ec);
        if (ec || results.empty()) {
            return Error::config("cannot listen on " + where + ": cannot resolve '" +
                                 st.options.host + "'" + (ec ? ": " + ec.message() : ""));
        }
        endpoint = results.begin()->endpoint();
    }

    auto acceptor = std::make_unique<tcp::acceptor>(st.executor);
    auto fail = [&](const error_code& e) -> Error {
        const std::string why = e == asio::error::address_in_use ? "address in use" : e.message();
        return Error::config("cannot listen on " + where + ": " + why);
    };
    if (acceptor->open(endpoint.protocol(), ec); ec) {
        return fail(ec);
    }
    if (acceptor->set_option(asio::socket_base::reuse_address(true), ec); ec) {
        return fail(ec);
    }
    if (acceptor->bind(endpoint, ec); ec) {
        return fail(ec);
    }
    if (acceptor->listen(asio::socket_base::max_listen_connections, ec); ec) {
        return fail(ec);
    }
    st.bound_port = acceptor->local_endpoint(ec).port();
    st.acceptor = std::move(acceptor);
    st.stopping = false;
    asio::co_spawn(st.executor, State::accept_loop(state_), asio::detached);
    return {};
}

std::uint16_t HttpServer::port() const { return state_->bound_port; }

void HttpServer::stop() {
    State& st = *state_;
    st.stopping = true;
    if (st.acceptor && st.acceptor->is_open()) {
        error_code ec;
        st.acceptor->close(ec);
    }
    for (SessionEntry* entry : st.sessions) {
        if (entry->idle && entry->tcp != nullptr) {
            entry->tcp->close();
        }
    }
}

std::size_t HttpServer::connections_accepted() const { return state_->accepted; }

std::size_t HttpServer::connections_refused() const { return state_->refused; }

}  // namespace csync
