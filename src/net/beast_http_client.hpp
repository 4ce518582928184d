#pragma once
// The production HttpClient: HTTP/1.1 over Beast, TLS over OpenSSL, keep-alive pooling.
//
// - Connections are pooled per (scheme, host, port, request.connection_key) and only ever reused
//   for the same key. A request that fails on a reused connection before any byte of the answer
//   arrived is re-sent once on a fresh connection (the peer may have closed it while idle).
// - Every step (resolve, connect, TLS handshake, write, read) has a deadline, all bounded by the
//   request's own timeout. The response size is enforced while reading.
// - Failures are Error values (see ports/http_client.hpp): transport → transient, untrusted
//   certificate → config, over-size answer → bad_response, cancellation → cancelled.
//
// Thread affinity: runs on the executor given to the constructor; several coroutines may send
// concurrently (each takes its own connection). send() does not throw; the constructor does not
// throw either (an unreadable ca_file is reported by every send as a config error). Pending
// sends keep the client's internals alive, but the executor must outlive them.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "csync/ports/http_client.hpp"

namespace csync {

// "commerce-syncd/<version>": what the client says in User-Agent unless told otherwise.
std::string commerce_syncd_user_agent();

struct HttpClientOptions {
    std::optional<std::string> ca_file;  // PEM bundle; the system store when absent
    bool verify_tls = true;              // false only on explicit configuration; the caller warns
    std::chrono::milliseconds connect_timeout{10'000};  // resolve + connect + TLS handshake
    std::chrono::milliseconds read_timeout{60'000};     // from the request written to the last byte
    std::size_t max_response_bytes = 64 * 1024 * 1024;
    std::size_t max_idle_per_host = 4;  // idle keep-alive connections kept per pool key
    std::chrono::seconds idle_timeout{30};
    std::string user_agent = commerce_syncd_user_agent();
};

class BeastHttpClient final : public HttpClient {
  public:
    BeastHttpClient(boost::asio::any_io_executor executor, HttpClientOptions options);
    ~BeastHttpClient() override;
    BeastHttpClient(const BeastHttpClient&) = delete;
    BeastHttpClient& operator=(const BeastHttpClient&) = delete;

    boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest request) override;

    // Idle pooled connections right now (all keys): for diagnostics and tests.
    std::size_t idle_connections() const;
    // Closes every idle pooled connection (connections in use finish their exchange).
    void close_idle();

    // commerce_syncd_user_agent(), for callers that print what the client sends.
    static std::string default_user_agent() { return commerce_syncd_user_agent(); }

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace csync
