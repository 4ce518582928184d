// BeastHttpClient against the HttpServer frame (and a hand-written flaky server) on loopback.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "net/beast_http_client.hpp"
#include "net/http_server.hpp"
#include "net/io_runner.hpp"

namespace csync {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using nlohmann::json;

// What the test server saw.
struct ServerLog {
    std::vector<ServerRequest> requests;
};

asio::awaitable<ServerResponse> test_handler(std::shared_ptr<ServerLog> log, ServerRequest r) {
    log->requests.push_back(r);
    ServerResponse resp;
    if (r.path == "/echo") {
        json query = json::object();
        for (const auto& [k, v] : r.query) {
            query[k] = v;
        }
        resp.body = json{{"method", r.method},
                         {"path", r.path},
                         {"target", r.target},
                         {"query", query},
                         {"body", r.body},
                         {"user_agent", r.header("User-Agent")},
                         {"content_type", r.header("Content-Type")},
                         {"host", r.header("Host")}}
                        .dump();
        resp.headers.emplace_back("X-Echo", "yes");
    } else if (r.path == "/big") {
        resp.content_type = "text/plain";
        resp.body = std::string(std::stoul(r.query_param("n")), 'x');
    } else if (r.path == "/slow") {
        resp.delay = std::chrono::milliseconds(std::stoi(r.query_param("ms")));
        resp.body = "{}";
    } else if (r.path == "/reset") {
        resp.fault = TransportFault::reset;
    } else if (r.path == "/truncate") {
        resp.body = std::string(1000, 'y');
        resp.fault = TransportFault::truncate;
    } else if (r.path == "/throw") {
        throw std::runtime_error("handler broke");
    } else {
        resp.status = 404;
        resp.body = R"({"error":"no such path"})";
    }
    co_return resp;
}

class HttpClientTest : public ::testing::Test {
  protected:
    void SetUp() override { start_server(HttpServerOptions{}); }

    void start_server(HttpServerOptions options) {
        server_ = std::make_unique<HttpServer>(
            ioc_.get_executor(), options,
            [log = log_](ServerRequest r) { return test_handler(log, std::move(r)); });
        auto started = server_->start();
        ASSERT_TRUE(started.ok()) << started.error().describe();
        base_ = "http://127.0.0.1:" + std::to_string(server_->port());
    }

    Result<HttpResponse> send(BeastHttpClient& client, HttpRequest request) {
        return testing::run(ioc_, client.send(std::move(request)));
    }

    Result<HttpResponse> get(BeastHttpClient& client, const std::string& target,
                             const std::string& key = "", std::chrono::milliseconds timeout = 5s) {
        HttpRequest request;
        request.url = base_ + target;
        request.connection_key = key;
        request.timeout = timeout;
        return send(client, std::move(request));
    }

    std::string authority() const { return "127.0.0.1:" + std::to_string(server_->port()); }

    asio::io_context ioc_;
    std::shared_ptr<ServerLog> log_ = std::make_shared<ServerLog>();
    std::unique_ptr<HttpServer> server_;
    std::string base_;
};

TEST_F(HttpClientTest, GetRoundTripDecodesPathAndQuery) {
    BeastHttpClient client(ioc_.get_executor(), {});
    auto r = get(client, "/echo?a=1&b=x+y&c=%26%3D");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("x-echo"), "yes");
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    const json echo = json::parse(r->body);
    EXPECT_EQ(echo["method"], "GET");
    EXPECT_EQ(echo["path"], "/echo");
    EXPECT_EQ(echo["target"], "/echo?a=1&b=x+y&c=%26%3D");
    EXPECT_EQ(echo["query"]["a"], "1");
    EXPECT_EQ(echo["query"]["b"], "x y");
    EXPECT_EQ(echo["query"]["c"], "&=");
    EXPECT_EQ(echo["user_agent"], commerce_syncd_user_agent());
    EXPECT_EQ(echo["host"], authority());
    EXPECT_EQ(commerce_syncd_user_agent().rfind("commerce-syncd/", 0), 0u);
}

TEST_F(HttpClientTest, PostSendsBodyAndHeadersVerbatim) {
    BeastHttpClient client(ioc_.get_executor(), {});
    HttpRequest request;
    request.method = "POST";
    request.url = base_ + "/echo";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"User-Agent", "custom-agent/1"}};
    request.body = "key=k&sign=ABC%2B";
    auto r = send(client, request);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    const json echo = json::parse(r->body);
    EXPECT_EQ(echo["method"], "POST");
    EXPECT_EQ(echo["body"], "key=k&sign=ABC%2B");
    EXPECT_EQ(echo["content_type"], "application/x-www-form-urlencoded");
    EXPECT_EQ(echo["user_agent"], "custom-agent/1");
    ASSERT_EQ(log_->requests.size(), 1u);
    EXPECT_EQ(log_->requests[0].header("Content-Length"), "17");
}

TEST_F(HttpClientTest, HttpErrorStatusesAreResponsesNotErrors) {
    BeastHttpClient client(ioc_.get_executor(), {});
    auto missing = get(client, "/nowhere");
    ASSERT_TRUE(missing.ok());
    EXPECT_EQ(missing->status, 404);
    auto broken = get(client, "/throw");
    ASSERT_TRUE(broken.ok());
    EXPECT_EQ(broken->status, 500);
    EXPECT_NE(broken->body.find("handler broke"), std::string::npos);
}

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
    BeastHttpClient client(ioc_.get_executor(), {});
    for (int i = 0; i < 5; ++i) {
        auto r = get(client, "/echo?i=" + std::to_string(i));
        ASSERT_TRUE(r.ok()) << r.error().describe();
    }
    EXPECT_EQ(server_->connections_accepted(), 1u);
    EXPECT_EQ(client.idle_connections(), 1u);
    client.close_idle();
    EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, ConnectionKeysNeverShareAConnection) {
    BeastHttpClient client(ioc_.get_executor(), {});
    for (int i = 0; i < 6; ++i) {
        auto r = get(client, "/echo", i % 2 == 0 ? "sid-a" : "sid-b");
        ASSERT_TRUE(r.ok()) << r.error().describe();
    }
    EXPECT_EQ(server_->connections_accepted(), 2u);
    EXPECT_EQ(client.idle_connections(), 2u);
}

TEST_F(HttpClientTest, ConcurrentSendsTakeTheirOwnConnections) {
    BeastHttpClient client(ioc_.get_executor(), {});
    std::vector<std::future<std::optional<Result<HttpResponse>>>> futures;
    for (int i = 0; i < 3; ++i) {
        HttpRequest request;
        request.url = base_ + "/slow?ms=50";
        futures.push_back(testing::spawn(ioc_, client.send(request)));
    }
    for (auto& f : futures) {
        auto r = testing::wait_for(ioc_, f);
        ASSERT_TRUE(r->ok()) << r->error().describe();
        EXPECT_EQ((*r)->status, 200);
    }
    EXPECT_EQ(server_->connections_accepted(), 3u);
    EXPECT_EQ(client.idle_connections(), 3u);
}

TEST_F(HttpClientTest, IdleConnectionsBeyondTheLimitAreClosed) {
    HttpClientOptions options;
    options.max_idle_per_host = 1;
    BeastHttpClient client(ioc_.get_executor(), options);
    std::vector<std::future<std::optional<Result<HttpResponse>>>> futures;
    for (int i = 0; i < 3; ++i) {
        HttpRequest request;
        request.url = base_ + "/slow?ms=30";
        futures.push_back(testing::spawn(ioc_, client.send(request)));
    }
    for (auto& f : futures) {
        ASSERT_TRUE(testing::wait_for(ioc_, f)->ok());
    }
    EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(HttpClientTest, ResponseSizeIsEnforcedWhileReading) {
    HttpClientOptions options;
    options.max_response_bytes = 1024;
    BeastHttpClient client(ioc_.get_executor(), options);
    ASSERT_TRUE(get(client, "/big?n=1024").ok());
    auto r = get(client, "/big?n=1025");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::bad_response);
    EXPECT_EQ(r.error().message, "response from 127.0.0.1 exceeds 1 KiB");
}

TEST_F(HttpClientTest, DefaultResponseLimitIs64MiB) {
    EXPECT_EQ(HttpClientOptions{}.max_response_bytes, 64u * 1024 * 1024);
    BeastHttpClient client(ioc_.get_executor(), {});
    auto r = get(client, "/big?n=" + std::to_string(64 * 1024 * 1024 + 1));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::bad_response);
    EXPECT_EQ(r.error().message, "response from 127.0.0.1 exceeds 64 MiB");
}

TEST_F(HttpClientTest, RequestTimeoutIsTransientAndNamesTheServer) {
    BeastHttpClient client(ioc_.get_executor(), {});
    const auto start = std::chrono::steady_clock::now();
    auto r = get(client, "/slow?ms=3000", "", 200ms);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient);
    EXPECT_EQ(r.error().message, "timeout reading response from " + authority() + " after 200ms");
    EXPECT_LT(elapsed, 2s);
}

TEST_F(HttpClientTest, ReadTimeoutOptionBoundsTheWait) {
    HttpClientOptions options;
    options.read_timeout = 150ms;
    BeastHttpClient client(ioc_.get_executor(), options);
    auto r = get(client, "/slow?ms=3000", "", 60s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient);
    EXPECT_EQ(r.error().message, "timeout reading response from " + authority() + " after 150ms");
}

TEST_F(HttpClientTest, ServerResetIsTransient) {
    BeastHttpClient client(ioc_.get_executor(), {});
    auto r = get(client, "/reset");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient) << r.error().describe();
    EXPECT_NE(r.error().message.find(authority()), std::string::npos) << r.error().message;
    // The connection is gone, not pooled; the next request works on a new one.
    EXPECT_EQ(client.idle_connections(), 0u);
    ASSERT_TRUE(get(client, "/echo").ok());
}

TEST_F(HttpClientTest, TruncatedBodyIsTransientNotAShortBody) {
    BeastHttpClient client(ioc_.get_executor(), {});
    auto r = get(client, "/truncate");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient);
    EXPECT_EQ(r.error().message, "connection to " + authority() +
                                     " closed before the whole response arrived (truncated body)");
}

TEST_F(HttpClientTest, ConnectionRefusedIsTransientAndNamesHostAndPort) {
    // A port that was free a moment ago: nothing listens there.
    std::uint16_t free_port = 0;
    {
        tcp::acceptor probe(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        free_port = probe.local_endpoint().port();
    }
    BeastHttpClient client(ioc_.get_executor(), {});
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(free_port) + "/";
    auto r = send(client, request);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient);
    EXPECT_EQ(r.error().message.rfind(
                  "connecting to 127.0.0.1:" + std::to_string(free_port) + " failed: ", 0),
              0u)
        << r.error().message;
}

TEST_F(HttpClientTest, BadUrlsAreConfigErrorsWithoutTheQuery) {
    BeastHttpClient client(ioc_.get_executor(), {});
    HttpRequest request;
    request.url = "ftp://example.com/x?sign=SECRET";
    auto r = send(client, request);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
    EXPECT_EQ(r.error().message,
              "invalid URL 'ftp://example.com/x': unsupported scheme 'ftp'; use http:// or "
              "https://");
    request.url = base_ + "/echo";
    request.headers = {{"X-Evil", "a\r\nInjected: yes"}};
    auto injected = send(client, request);
    ASSERT_FALSE(injected.ok());
    EXPECT_EQ(injected.error().kind, ErrorKind::config);
}

TEST_F(HttpClientTest, ServerClosingAnIdleConnectionIsDetectedBeforeReuse) {
    server_->stop();
    HttpServerOptions options;
    options.read_timeout = 100ms;  // the server drops idle keep-alive connections quickly
    start_server(options);
    BeastHttpClient client(ioc_.get_executor(), {});
    ASSERT_TRUE(get(client, "/echo").ok());
    EXPECT_EQ(client.idle_connections(), 1u);
    // Let the server time the connection out meanwhile.
    ioc_.restart();
    ioc_.run_for(400ms);
    auto r = get(client, "/echo");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(server_->connections_accepted(), 2u);
}

TEST_F(HttpClientTest, CancellationIsReportedAsCancelled) {
    BeastHttpClient client(ioc_.get_executor(), {});
    HttpRequest request;
    request.url = base_ + "/slow?ms=5000";
    asio::cancellation_signal signal;
    auto wrapped = [](asio::awaitable<Result<HttpResponse>> inner)
        -> asio::awaitable<std::optional<Result<HttpResponse>>> {
        co_return std::optional<Result<HttpResponse>>(co_await std::move(inner));
    };
    auto future = asio::co_spawn(ioc_, wrapped(client.send(request)),
                                 asio::bind_cancellation_slot(signal.slot(), asio::use_future));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (log_->requests.empty() && std::chrono::steady_clock::now() < deadline) {
        ioc_.run_one_for(10ms);
    }
    ASSERT_EQ(log_->requests.size(), 1u);
    signal.emit(asio::cancellation_type::terminal);
    auto r = testing::wait_for(ioc_, future, 2s);
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->error().kind, ErrorKind::cancelled) << r->error().describe();
}

// A server written by hand, to misbehave where HttpServer would not: `answers` says how many
// requests each connection answers before it reads one more and closes without answering.
struct FlakyServer {
    explicit FlakyServer(asio::io_context& ioc)
        : acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

    static asio::awaitable<void> serve(tcp::socket socket, int answers) {
        std::string buffer;
        for (int served = 0;; ++served) {
            boost::system::error_code ec;
            const auto n =
                co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), "\r\n\r\n",
                                                asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return;
            }
            buffer.erase(0, n);
            if (served == answers) {
                socket.close();
                co_return;
            }
            static const std::string kAnswer =
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
            co_await asio::async_write(socket, asio::buffer(kAnswer),
                                       asio::redirect_error(asio::use_awaitable, ec));
        }
    }

    asio::awaitable<void> accept_loop(std::vector<int> answers_per_connection) {
        for (std::size_t i = 0;; ++i) {
            boost::system::error_code ec;
            tcp::socket socket =
                co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return;
            }
            ++connections;
            const int answers =
                i < answers_per_connection.size() ? answers_per_connection[i] : 1'000'000;
            asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), answers),
                           asio::detached);
        }
    }

    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
    }

    tcp::acceptor acceptor;
    int connections = 0;
};

TEST(HttpClientRetry, ARequestLostOnAReusedConnectionIsResentOnceOnAFreshOne) {
    asio::io_context ioc;
    FlakyServer server(ioc);
    // The first connection answers once, then swallows the next request and closes.
    // Named, not braced: GCC 12 destroys a braced temporary coroutine argument twice.
    std::vector<int> answers_per_connection{1};
    asio::co_spawn(ioc, server.accept_loop(std::move(answers_per_connection)), asio::detached);
    BeastHttpClient client(ioc.get_executor(), {});
    HttpRequest request;
    request.url = server.url();
    auto first = testing::run(ioc, client.send(request));
    ASSERT_TRUE(first.ok()) << first.error().describe();
    EXPECT_EQ(first->resent, 0);
    auto second = testing::run(ioc, client.send(request));
    ASSERT_TRUE(second.ok()) << second.error().describe();
    EXPECT_EQ(second->body, "ok");
    EXPECT_EQ(server.connections, 2);
    // The server read the lost request: the answer says it cost two, so callers count both.
    EXPECT_EQ(second->resent, 1);
}

TEST(HttpClientRetry, AFreshConnectionThatDiesIsNotRetried) {
    asio::io_context ioc;
    FlakyServer server(ioc);
    // Named, not braced: GCC 12 destroys a braced temporary coroutine argument twice.
    std::vector<int> answers_per_connection{0, 0, 0};
    asio::co_spawn(ioc, server.accept_loop(std::move(answers_per_connection)), asio::detached);
    BeastHttpClient client(ioc.get_executor(), {});
    HttpRequest request;
    request.url = server.url();
    auto r = testing::run(ioc, client.send(request));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient);
    EXPECT_NE(r.error().message.find("closed by the peer"), std::string::npos) << r.error().message;
    EXPECT_EQ(server.connections, 1);
    EXPECT_EQ(r.error().resent, 0);
}

TEST(HttpClientRetry, AReusedConnectionIsRetriedOnlyOnce) {
    asio::io_context ioc;
    FlakyServer server(ioc);
    // Connection 1 answers once; every later connection swallows its first request.
    // Named, not braced: GCC 12 destroys a braced temporary coroutine argument twice.
    std::vector<int> answers_per_connection{1, 0, 0, 0};
    asio::co_spawn(ioc, server.accept_loop(std::move(answers_per_connection)), asio::detached);
    BeastHttpClient client(ioc.get_executor(), {});
    HttpRequest request;
    request.url = server.url();
    ASSERT_TRUE(testing::run(ioc, client.send(request)).ok());
    auto r = testing::run(ioc, client.send(request));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient);
    EXPECT_EQ(server.connections, 2);
    EXPECT_EQ(r.error().resent, 1);  // both requests reached the server
}

TEST(HttpServerFrame, AnotherServerOnTheSamePortIsAClearError) {
    asio::io_context ioc;
    auto handler = [](ServerRequest) -> asio::awaitable<ServerResponse> {
        co_return ServerResponse{};
    };
    HttpServer first(ioc.get_executor(), {}, handler);
    ASSERT_TRUE(first.start().ok());
    HttpServerOptions options;
    options.port = first.port();
    HttpServer second(ioc.get_executor(), options, handler);
    auto r = second.start();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
    EXPECT_EQ(r.error().message,
              "cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": address in use");
}

TEST(HttpServerFrame, OversizeRequestBodiesGet413) {
    asio::io_context ioc;
    HttpServerOptions options;
    options.max_body_bytes = 100;
    HttpServer server(
        ioc.get_executor(), options,
        [](ServerRequest) -> asio::awaitable<ServerResponse> { co_return ServerResponse{}; });
    ASSERT_TRUE(server.start().ok());
    BeastHttpClient client(ioc.get_executor(), {});
    HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    request.body = std::string(101, 'z');
    auto r = testing::run(ioc, client.send(request));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->body, "request body exceeds 100 bytes\n");
}

TEST(HttpServerFrame, StopClosesIdleConnectionsAndRefusesNewOnes) {
    asio::io_context ioc;
    HttpServer server(ioc.get_executor(), {}, [](ServerRequest) -> asio::awaitable<ServerResponse> {
        co_return ServerResponse{};
    });
    ASSERT_TRUE(server.start().ok());
    BeastHttpClient client(ioc.get_executor(), {});
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    ASSERT_TRUE(testing::run(ioc, client.send(request)).ok());
    EXPECT_EQ(client.idle_connections(), 1u);
    server.stop();
    // With the acceptor and the idle session closed, nothing is left for the io_context to do.
    ioc.restart();
    ioc.run_for(2s);
    EXPECT_TRUE(ioc.stopped());
    auto r = testing::run(ioc, client.send(request));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::transient);
}

TEST(HttpServerFrame, Ipv6LoopbackWhenAvailable) {
    asio::io_context ioc;
    HttpServerOptions options;
    options.host = "::1";
    HttpServer server(ioc.get_executor(), options,
                      [](ServerRequest r) -> asio::awaitable<ServerResponse> {
                          ServerResponse resp;
                          resp.body = r.header("Host");
                          co_return resp;
                      });
    if (!server.start().ok()) {
        GTEST_SKIP() << "no IPv6 loopback here";
    }
    BeastHttpClient client(ioc.get_executor(), {});
    HttpRequest request;
    request.url = "http://[::1]:" + std::to_string(server.port()) + "/x";
    auto r = testing::run(ioc, client.send(request));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->body, "[::1]:" + std::to_string(server.port()));
}

}  // namespace
}  // namespace csync
