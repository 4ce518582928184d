// The server frame under hostile clients: headers trickled and never finished, more connections
// than it serves at once. Raw sockets on loopback, every loop bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "net/http_server.hpp"

namespace csync {
namespace {

using namespace std::chrono_literals;

// The server on its own thread, answering 200 "ok" to everything.
class ServerThread {
  public:
    explicit ServerThread(HttpServerOptions options)
        : server_(ioc_.get_executor(), std::move(options), [](ServerRequest) {
              // Named, not braced: GCC 12 destroys a braced temporary coroutine argument twice.
              ServerResponse ok{.status = 200, .body = "ok"};
              return [](ServerResponse r) -> boost::asio::awaitable<ServerResponse> {
                  co_return r;
              }(std::move(ok));
          }) {
        auto started = server_.start();
        if (!started.ok()) throw std::runtime_error(started.error().describe());
        port_ = server_.port();
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~ServerThread() {
        boost::asio::post(ioc_, [this] { server_.stop(); });
        work_.reset();
        ioc_.stop();
        thread_.join();
    }
    std::uint16_t port() const { return port_; }

  private:
    boost::asio::io_context ioc_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        ioc_.get_executor()};
    HttpServer server_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

// A connected client socket with a receive timeout, closed on destruction.
class Client {
  public:
    explicit Client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{0, 100'000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~Client() { ::close(fd_); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool connected() const { return connected_; }
    bool send(const std::string& text) {
        return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(text.size());
    }
    // Whether the server closed the connection (orderly or by reset) within one receive timeout.
    bool closed_by_server() {
        char buf[512];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    // Sends a request and reads until the answer's body "ok" arrived (bounded).
    bool answered() {
        if (!send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")) return false;
        std::string got;
        char buf[512];
        for (int i = 0; i < 50 && got.find("\r\n\r\nok") == std::string::npos; ++i) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n == 0) break;
            if (n > 0) got.append(buf, static_cast<std::size_t>(n));
        }
        return got.rfind("HTTP/1.1 200", 0) == 0 && got.find("\r\n\r\nok") != std::string::npos;
    }

  private:
    int fd_ = -1;
    bool connected_ = false;
};

TEST(HttpServerLimits, ClientTricklingHeadersIsDroppedAtTheHeaderDeadline) {
    HttpServerOptions options;
    options.header_timeout = 300ms;
    options.read_timeout = 60s;  // the header deadline must win, not this one
    ServerThread server(options);
    Client slow(server.port());
    ASSERT_TRUE(slow.connected());
    ASSERT_TRUE(slow.send("GET /x HTTP/1.1\r\n"));
    // One header byte per 100 ms receive timeout, for at most 20 s: the server must hang up
    // long before the loop ends by itself.
    bool dropped = false;
    for (int i = 0; i < 200 && !dropped; ++i) {
        dropped = !slow.send("X") || slow.closed_by_server();
    }
    EXPECT_TRUE(dropped) << "a client trickling headers kept its connection";
    Client prompt(server.port());
    EXPECT_TRUE(prompt.answered());
}

TEST(HttpServerLimits, ConnectionsBeyondTheCapAreClosedAndServiceResumes) {
    HttpServerOptions options;
    options.max_connections = 4;
    options.header_timeout = 30s;
    ServerThread server(options);
    std::vector<std::unique_ptr<Client>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(std::make_unique<Client>(server.port()));
        ASSERT_TRUE(held.back()->connected());
    }
    ASSERT_TRUE(held.front()->answered());  // served, and still open (keep-alive)
    bool refused = false;
    for (int attempt = 0; attempt < 50 && !refused; ++attempt) {
        Client extra(server.port());
        refused = extra.closed_by_server();
    }
    EXPECT_TRUE(refused) << "a fifth connection was kept open beyond the cap of 4";
    held.pop_back();  // one slot frees up once the server sees the close
    bool served = false;
    for (int attempt = 0; attempt < 50 && !served; ++attempt) {
        Client next(server.port());
        served = next.answered();
    }
    EXPECT_TRUE(served);
}

TEST(HttpRequestParse, GivesWhatAHandlerReceives) {
    auto r = parse_http_request(
        "POST /a%20b?x=1&y=%41 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", 1024);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->method, "POST");
    EXPECT_EQ(r->path, "/a b");
    EXPECT_EQ(r->query_param("y"), "A");
    EXPECT_EQ(r->body, "abc");
}

TEST(HttpRequestParse, RefusesMalformedOversizedAndIncompleteRequests) {
    EXPECT_EQ(parse_http_request("NOT HTTP\r\n\r\n", 1024).error().kind, ErrorKind::bad_response);
    EXPECT_EQ(
        parse_http_request("GET / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 1024).error().message,
        "malformed HTTP request: body limit exceeded");
    EXPECT_FALSE(parse_http_request("GET / HTTP/1.1\r\nHost: h\r\n", 1024).ok());
    EXPECT_FALSE(parse_http_request("", 1024).ok());
}

}  // namespace
}  // namespace csync
