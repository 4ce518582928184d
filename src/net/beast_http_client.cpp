#include "net/beast_http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "net/url.hpp"

#ifndef CSYNC_VERSION
#error "CSYNC_VERSION must be defined by the build (see csync_net in src/CMakeLists.txt)"
#endif

namespace csync {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

std::string commerce_syncd_user_agent() { return std::string("commerce-syncd/") + CSYNC_VERSION; }

namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Response headers beyond this are not a commerce API talking.
constexpr std::size_t kMaxResponseHeaderBytes = 64 * 1024;
// Spare capacity after a response body (see exchange_on).
constexpr std::size_t kBodyReadAheadBytes = 64;

std::string describe_duration(milliseconds d) {
    if (d.count() > 0 && d.count() % 1000 == 0) {
        return std::to_string(d.count() / 1000) + "s";
    }
    return std::to_string(d.count()) + "ms";
}

std::string describe_size(std::size_t bytes) {
    constexpr std::size_t kKiB = 1024;
    constexpr std::size_t kMiB = 1024 * kKiB;
    if (bytes >= kMiB && bytes % kMiB == 0) {
        return std::to_string(bytes / kMiB) + " MiB";
    }
    if (bytes >= kKiB && bytes % kKiB == 0) {
        return std::to_string(bytes / kKiB) + " KiB";
    }
    return std::to_string(bytes) + " bytes";
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// When the whole exchange must be over, and what the caller asked for (for messages).
struct Deadline {
    SteadyClock::time_point at;
    milliseconds total;
};

// The time a step may take: its own limit, never past the request's deadline.
struct StepBudget {
    milliseconds allowed;   // what the step's timer is set to
    milliseconds reported;  // what a timeout message quotes: the limit that actually applied
};

StepBudget step_budget(milliseconds step_limit, const Deadline& deadline) {
    const auto remaining =
        std::chrono::duration_cast<milliseconds>(deadline.at - SteadyClock::now());
    if (step_limit <= remaining) {
        return {step_limit, step_limit};
    }
    return {std::max(remaining, milliseconds{0}), deadline.total};
}

// What the client was doing when something failed: phrases for error messages.
enum class Step { resolve, connect, handshake, write, read };

std::string_view step_phrase(Step step) {
    switch (step) {
        case Step::resolve:
            return "resolving";
        case Step::connect:
            return "connecting to";
        case Step::handshake:
            return "TLS handshake with";
        case Step::write:
            return "sending request to";
        case Step::read:
            return "reading response from";
    }
    return "talking to";
}

bool is_http_parse_error(const error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_version).category();
}

Error transport_error(const error_code& ec, Step step, const net::Url& url,
                      const StepBudget& budget, std::size_t max_response_bytes) {
    const std::string where = url.authority();
    if (ec == asio::error::operation_aborted) {
        return Error::cancelled("request to " + where + " cancelled");
    }
    if (ec == beast::error::timeout) {
        return Error::transient("timeout " + std::string(step_phrase(step)) + " " + where +
                                " after " + describe_duration(budget.reported));
    }
    if (ec == http::error::body_limit) {
        return Error::bad_response("response from " + url.host + " exceeds " +
                                   describe_size(max_response_bytes));
    }
    if (ec == http::error::header_limit) {
        return Error::bad_response("response headers from " + url.host + " exceed " +
                                   describe_size(kMaxResponseHeaderBytes));
    }
    if (ec == http::error::partial_message) {
        return Error::transient("connection to " + where +
                                " closed before the whole response arrived (truncated body)");
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof) {
        return Error::transient("connection to " + where + " closed by the peer while " +
                                std::string(step_phrase(step)) + " it");
    }
    if (step == Step::read && is_http_parse_error(ec)) {
        return Error::bad_response("malformed HTTP response from " + where + ": " + ec.message());
    }
    return Error::transient(std::string(step_phrase(step)) + " " + where +
                            " failed: " + ec.message());
}

constexpr std::size_t kReadChunkBytes = 64 * 1024;

// One TCP or TLS connection, with the bytes read past the last response.
struct Connection {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;
    SteadyClock::time_point idle_since{};
    // Why certificate verification failed, written by the verify callback during the handshake.
    std::string tls_failure;

    beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

    // An idle keep-alive connection must have nothing to read: readable data or EOF means the
    // peer closed it (or sent garbage), and a request sent on it would fail.
    bool idle_and_open() {
        if (buffer.size() != 0) {
            return false;
        }
        if (tls && SSL_pending(tls->native_handle()) > 0) {
            return false;
        }
        auto& socket = tcp().socket();
        if (!socket.is_open()) {
            return false;
        }
        char byte = 0;
        const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
};

// The outcome of one request/response exchange on one connection.
struct Exchange {
    std::optional<HttpResponse> response;
    std::optional<Error> error;
    bool nothing_received = false;  // the failure happened before any byte of the answer
    bool reusable = false;          // keep-alive: the connection may serve another request
};

Result<http::request<http::string_body>> build_request(const net::Url& url,
                                                       const HttpRequest& request,
                                                       const std::string& user_agent) {
    http::request<http::string_body> req;
    if (request.method.empty()) {
        return Error::config("HTTP request to " + url.authority() + " has no method");
    }
    req.method_string(request.method);
    req.target(url.target);
    req.version(11);
    req.set(http::field::host, url.host_header());
    bool has_user_agent = false;
    for (const auto& [name, value] : request.headers) {
        if (name.empty() || name.find_first_of("\r\n:") != std::string::npos ||
            value.find_first_of("\r\n") != std::string::npos) {
            return Error::config("HTTP header '" + name + "' for " + url.authority() +
                                 " contains a line break or an invalid name");
        }
        // Framing is derived from the body below; a caller's own value could only contradict it.
        if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) {
            continue;
        }
        if (iequals(name, "host")) {
            req.set(http::field::host, value);
            continue;
        }
        if (iequals(name, "user-agent")) {
            has_user_agent = true;
        }
        req.insert(name, value);
    }
    if (!has_user_agent && !user_agent.empty()) {
        req.set(http::field::user_agent, user_agent);
    }
    req.body() = request.body;
    req.prepare_payload();
    return req;
}

HttpResponse to_response(http::response<http::string_body>&& res) {
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(res.body());
    return out;
}

// The system's trust store as a directory of certificates named by subject hash (Debian's
// /etc/ssl/certs), or nullptr. OpenSSL reads such a directory one certificate at a time, as a
// chain asks for its issuer; the bundle file set_default_verify_paths also loads is parsed whole
// up front (~1.4 MiB kept for the process's life). The bundle stays in use where the
// environment names a store (SSL_CERT_FILE, SSL_CERT_DIR) or no hashed directory exists.
const char* hashed_system_cert_dir() {
    if (std::getenv(X509_get_default_cert_file_env()) ||
        std::getenv(X509_get_default_cert_dir_env())) {
        return nullptr;
    }
    const char* dir = X509_get_default_cert_dir();
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        // <8 hex digits>.<n>, as c_rehash / update-ca-certificates name them
        if (name.size() >= 10 && name[8] == '.' &&
            std::all_of(name.begin(), name.begin() + 8,
                        [](unsigned char c) { return std::isxdigit(c) != 0; }) &&
            std::all_of(name.begin() + 9, name.end(),
                        [](unsigned char c) { return std::isdigit(c) != 0; })) {
            return dir;
        }
    }
    return nullptr;
}

}  // namespace

struct BeastHttpClient::Impl {
    Impl(asio::any_io_executor ex, HttpClientOptions opts)
        : executor(std::move(ex)), options(std::move(opts)) {}

    // The TLS context, built at the first https request; nullptr (tls_setup_error says why)
    // when it cannot be. An SSL_CTX fetches every cipher and digest from OpenSSL's providers
    // (~2.7 MiB resident): an account reached over plain http never needs one.
    ssl::context* tls() {
        std::call_once(tls_once, [this] { setup_tls(); });
        return tls_setup_error ? nullptr : &*tls_context;
    }

    void setup_tls() {
        try {
            tls_context.emplace(ssl::context::tls_client);
        } catch (const std::exception& e) {  // send() reports errors, it does not throw
            tls_setup_error =
                Error::config(std::string("cannot create a TLS context: ") + e.what());
            return;
        }
        ssl::context& ctx = *tls_context;
        SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        if (!options.verify_tls) {
            ctx.set_verify_mode(ssl::verify_none);
            return;
        }
        ctx.set_verify_mode(ssl::verify_peer);
        error_code ec;
        if (options.ca_file) {
            std::error_code fs_ec;
            if (!std::filesystem::is_regular_file(*options.ca_file, fs_ec)) {
                tls_setup_error = Error::config("tls.ca_file " + *options.ca_file +
                                                " does not exist or is not a file");
                return;
            }
            ctx.load_verify_file(*options.ca_file, ec);
            if (ec) {
                tls_setup_error =
                    Error::config("tls.ca_file " + *options.ca_file +
                                  " holds no usable PEM certificate: " + ec.message());
            }
        } else if (const char* dir = hashed_system_cert_dir()) {
            if (X509_STORE_load_path(SSL_CTX_get_cert_store(ctx.native_handle()), dir) != 1) {
                tls_setup_error = Error::config(std::string("cannot use the system's trusted "
                                                            "certificates in ") +
                                                dir + "; set tls.ca_file");
            }
        } else {
            ctx.set_default_verify_paths(ec);
            if (ec) {
                tls_setup_error =
                    Error::config("cannot load the system's trusted certificates: " + ec.message() +
                                  "; set tls.ca_file");
            }
        }
    }

    asio::awaitable<Result<HttpResponse>> send(HttpRequest request);
    asio::awaitable<Result<HttpResponse>> send_unguarded(HttpRequest request);
    asio::awaitable<Result<std::unique_ptr<Connection>>> connect(const net::Url& url,
                                                                 const Deadline& deadline);
    asio::awaitable<Exchange> exchange(Connection& conn, const net::Url& url,
                                       const http::request<http::string_body>& req,
                                       bool head_request, const Deadline& deadline);
    template <class Stream>
    asio::awaitable<Exchange> exchange_on(Stream& stream, Connection& conn, const net::Url& url,
                                          const http::request<http::string_body>& req,
                                          bool head_request, const Deadline& deadline);

    std::unique_ptr<Connection> take_idle(const std::string& key);
    void give_back(const std::string& key, std::unique_ptr<Connection> conn);

    asio::any_io_executor executor;
    HttpClientOptions options;
    std::once_flag tls_once;
    std::optional<ssl::context> tls_context;
    std::optional<Error> tls_setup_error;

    mutable std::mutex pool_mutex;
    std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;
};

std::unique_ptr<Connection> BeastHttpClient::Impl::take_idle(const std::string& key) {
    std::lock_guard lock(pool_mutex);
    auto it = idle.find(key);
    if (it == idle.end()) {
        return nullptr;
    }
    auto& queue = it->second;
    const auto now = SteadyClock::now();
    std::unique_ptr<Connection> found;
    // The most recently used connection is the likeliest to still be open.
    while (!queue.empty() && !found) {
        std::unique_ptr<Connection> candidate = std::move(queue.back());
        queue.pop_back();
        if (now - candidate->idle_since < options.idle_timeout && candidate->idle_and_open()) {
            found = std::move(candidate);
        }
    }
    if (queue.empty()) {
        idle.erase(it);
    }
    return found;
}

void BeastHttpClient::Impl::give_back(const std::string& key, std::unique_ptr<Connection> conn) {
    conn->tcp().expires_never();
    conn->idle_since = SteadyClock::now();
    std::lock_guard lock(pool_mutex);
    auto& queue = idle[key];
    // Drop connections that idled too long, oldest first.
    while (!queue.empty() && conn->idle_since - queue.front()->idle_since >= options.idle_timeout) {
        queue.pop_front();
    }
    if (queue.size() < options.max_idle_per_host) {
        queue.push_back(std::move(conn));
    }
    if (queue.empty()) {
        idle.erase(key);
    }
}

asio::awaitable<Result<std::unique_ptr<Connection>>> BeastHttpClient::Impl::connect(
    const net::Url& url, const Deadline& deadline) {
    error_code ec;
    // Resolve: IP literals need no resolver; names get a deadline through a timer that cancels
    // the resolver (it has no expiry of its own). The shared state outlives a late timer.
    tcp::resolver::results_type endpoints;
    if (auto address = asio::ip::make_address(url.host, ec); !ec) {
        endpoints = tcp::resolver::results_type::create(tcp::endpoint(address, url.port), url.host,
                                                        std::to_string(url.port));
    } else {
        struct ResolveState {
            explicit ResolveState(const asio::any_io_executor& ex) : resolver(ex), timer(ex) {}
            tcp::resolver resolver;
            asio::steady_timer timer;
            bool timed_out = false;
        };
        auto state = std::make_shared<ResolveState>(executor);
        const StepBudget budget = step_budget(options.connect_timeout, deadline);
        state->timer.expires_after(budget.allowed);
        state->timer.async_wait([state](error_code timer_ec) {
            if (!timer_ec) {
                state->timed_out = true;
                state->resolver.cancel();
            }
        });
        ec = {};
        endpoints = co_await state->resolver.async_resolve(
            url.host, std::to_string(url.port), asio::redirect_error(asio::use_awaitable, ec));
        state->timer.cancel();
        if (ec) {
            if (state->timed_out) {
                co_return Error::transient("timeout resolving " + url.host + " after " +
                                           describe_duration(budget.reported));
            }
            if (ec == asio::error::operation_aborted) {
                co_return Error::cancelled("request to " + url.authority() + " cancelled");
            }
            co_return Error::transient("cannot resolve host " + url.host + ": " + ec.message());
        }
    }

    auto conn = std::make_unique<Connection>();
    // Beast reads at most the buffer's free capacity (512 bytes while it is small): room for a
    // large page up front makes one read, one readiness wait and one timer arm per burst the
    // kernel holds, not per 512 bytes.
    conn->buffer.reserve(kReadChunkBytes);
    beast::tcp_stream stream(executor);
    StepBudget budget = step_budget(options.connect_timeout, deadline);
    stream.expires_after(budget.allowed);
    ec = {};
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        co_return transport_error(ec, Step::connect, url, budget, options.max_response_bytes);
    }
    stream.socket().set_option(tcp::no_delay(true), ec);

    if (!url.is_tls()) {
        conn->plain = std::make_unique<beast::tcp_stream>(std::move(stream));
        co_return std::move(conn);
    }

    ssl::context* context = tls();
    if (!context) {
        co_return *tls_setup_error;
    }
    conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(stream), *context);
    SSL* native = conn->tls->native_handle();
    // SNI carries host names only (RFC 6066), never IP literals.
    if (asio::ip::make_address(url.host, ec); ec) {
        if (!SSL_set_tlsext_host_name(native, url.host.c_str())) {
            co_return Error::config("cannot use '" + url.host + "' as a TLS server name");
        }
    }
    if (options.verify_tls) {
        Connection* raw = conn.get();
        conn->tls->set_verify_callback(
            [raw, host = url.host](bool preverified, ssl::verify_context& ctx) {
                X509_STORE_CTX* store = ctx.native_handle();
                if (!preverified) {
                    if (raw->tls_failure.empty()) {
                        raw->tls_failure =
                            X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
                    }
                    return false;
                }
                if (X509_STORE_CTX_get_error_depth(store) == 0 &&
                    !ssl::host_name_verification(host)(preverified, ctx)) {
                    raw->tls_failure = "the certificate is not valid for " + host;
                    return false;
                }
                return true;
            });
    }
    budget = step_budget(options.connect_timeout, deadline);
    conn->tcp().expires_after(budget.allowed);
    ec = {};
    co_await conn->tls->async_handshake(ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        if (!conn->tls_failure.empty()) {
            co_return Error::config("TLS certificate of " + url.host +
                                    " not trusted: " + conn->tls_failure +
                                    "; set tls.ca_file or fix the server certificate");
        }
        co_return transport_error(ec, Step::handshake, url, budget, options.max_response_bytes);
    }
    co_return std::move(conn);
}

template <class Stream>
asio::awaitable<Exchange> BeastHttpClient::Impl::exchange_on(
    Stream& stream, Connection& conn, const net::Url& url,
    const http::request<http::string_body>& req, bool head_request, const Deadline& deadline) {
    Exchange out;
    error_code ec;
    StepBudget budget = step_budget(options.read_timeout, deadline);
    conn.tcp().expires_after(budget.allowed);
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        out.error = transport_error(ec, Step::write, url, budget, options.max_response_bytes);
        out.nothing_received = ec != beast::error::timeout;
        co_return out;
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(static_cast<std::uint64_t>(options.max_response_bytes));
    parser.header_limit(static_cast<std::uint32_t>(kMaxResponseHeaderBytes));
    if (head_request) {
        parser.skip(true);
    }
    budget = step_budget(options.read_timeout, deadline);
    conn.tcp().expires_after(budget.allowed);  // one deadline for the header and the body
    co_await http::async_read_header(stream, conn.buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !parser.is_done()) {
        // Room past the body's end for a parser that reads ahead (simdjson: 64 bytes), so a page
        // is parsed where it lies instead of being copied into a padded buffer first.
        if (const auto length = parser.content_length();
            length && *length <= static_cast<std::uint64_t>(options.max_response_bytes)) {
            parser.get().body().reserve(static_cast<std::size_t>(*length) + kBodyReadAheadBytes);
        }
        co_await http::async_read(stream, conn.buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
        out.error = transport_error(ec, Step::read, url, budget, options.max_response_bytes);
        // A timeout is the server being slow, not a stale connection: never a reason to re-send.
        out.nothing_received =
            ec != beast::error::timeout && !parser.got_some() && conn.buffer.size() == 0;
        co_return out;
    }
    auto res = parser.release();
    out.reusable = res.keep_alive();
    out.response = to_response(std::move(res));
    co_return out;
}

asio::awaitable<Exchange> BeastHttpClient::Impl::exchange(
    Connection& conn, const net::Url& url, const http::request<http::string_body>& req,
    bool head_request, const Deadline& deadline) {
    if (conn.tls) {
        co_return co_await exchange_on(*conn.tls, conn, url, req, head_request, deadline);
    }
    co_return co_await exchange_on(*conn.plain, conn, url, req, head_request, deadline);
}

asio::awaitable<Result<HttpResponse>> BeastHttpClient::Impl::send_unguarded(HttpRequest request) {
    auto url = net::parse_url(request.url);
    if (!url.ok()) {
        co_return std::move(url).error();
    }
    if (url->is_tls() && !tls()) {
        co_return *tls_setup_error;
    }
    auto req = build_request(*url, request, options.user_agent);
    if (!req.ok()) {
        co_return std::move(req).error();
    }
    const Deadline deadline{SteadyClock::now() + request.timeout, request.timeout};
    const bool head_request = iequals(request.method, "HEAD");
    const std::string key = url->scheme + "://" + url->authority() + "\n" + request.connection_key;

    int resent = 0;  // the peer may have received the lost one: it counts as a request sent
    if (auto pooled = take_idle(key)) {
        Exchange first = co_await exchange(*pooled, *url, *req, head_request, deadline);
        if (first.response) {
            if (first.reusable) {
                give_back(key, std::move(pooled));
            }
            co_return std::move(*first.response);
        }
        // The peer may have closed the idle connection just as it was reused: the request can be
        // sent whole again, on a fresh connection, as long as nothing of an answer arrived.
        const bool peer_dropped_it = first.nothing_received &&
                                     first.error->kind == ErrorKind::transient &&
                                     SteadyClock::now() < deadline.at;
        if (!peer_dropped_it) {
            co_return std::move(*first.error);
        }
        resent = 1;
    }

    auto fresh = co_await connect(*url, deadline);
    if (!fresh.ok()) {
        co_return std::move(fresh).error();  // the lost request was the only one sent
    }
    std::unique_ptr<Connection> conn = std::move(fresh).value();
    Exchange result = co_await exchange(*conn, *url, *req, head_request, deadline);
    if (!result.response) {
        result.error->resent = resent;
        co_return std::move(*result.error);
    }
    if (result.reusable) {
        give_back(key, std::move(conn));
    }
    result.response->resent = resent;
    co_return std::move(*result.response);
}

asio::awaitable<Result<HttpResponse>> BeastHttpClient::Impl::send(HttpRequest request) {
    // Only the authority goes into messages: query strings may carry signatures.
    auto parsed = net::parse_url(request.url);
    const std::string url = parsed.ok() ? parsed->authority() : std::string("an invalid URL");
    std::optional<Error> failure;
    try {
        co_return co_await send_unguarded(std::move(request));
    } catch (const boost::system::system_error& e) {
        // A co_await after the coroutine was cancelled throws operation_aborted.
        if (e.code() == asio::error::operation_aborted) {
            failure = Error::cancelled("request to " + url + " cancelled");
        } else {
            failure = Error::transient("request to " + url + " failed: " + e.what());
        }
    } catch (const std::exception& e) {
        failure = Error::transient("request to " + url + " failed: " + e.what());
    }
    co_return std::move(*failure);
}

BeastHttpClient::BeastHttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

BeastHttpClient::~BeastHttpClient() = default;

asio::awaitable<Result<HttpResponse>> BeastHttpClient::send(HttpRequest request) {
    std::shared_ptr<Impl> impl = impl_;  // pending sends keep the pool and TLS context alive
    co_return co_await impl->send(std::move(request));
}

std::size_t BeastHttpClient::idle_connections() const {
    std::lock_guard lock(impl_->pool_mutex);
    std::size_t n = 0;
    for (const auto& [key, queue] : impl_->idle) {
        n += queue.size();
    }
    return n;
}

void BeastHttpClient::close_idle() {
    std::map<std::string, std::deque<std::unique_ptr<Connection>>> doomed;
    {
        std::lock_guard lock(impl_->pool_mutex);
        doomed.swap(impl_->idle);
    }
}

}  // namespace csync
