// Which URL `commerce-syncd healthcheck` asks for a given http.listen.
#include "app/healthcheck.hpp"

#include <gtest/gtest.h>

namespace csync::app {
namespace {

HttpListenConfig listen(std::string host, std::uint16_t port, bool enabled = true) {
    HttpListenConfig l;
    l.host = std::move(host);
    l.port = port;
    l.enabled = enabled;
    return l;
}

TEST(HealthzUrl, WildcardAddressesAreAskedOnLoopback) {
    EXPECT_EQ(healthz_url(listen("0.0.0.0", 9464)), "http://127.0.0.1:9464/healthz");
    EXPECT_EQ(healthz_url(listen("::", 9464)), "http://[::1]:9464/healthz");
}

TEST(HealthzUrl, ASpecificAddressIsAskedAsConfigured) {
    EXPECT_EQ(healthz_url(listen("127.0.0.1", 8080)), "http://127.0.0.1:8080/healthz");
    EXPECT_EQ(healthz_url(listen("::1", 9464)), "http://[::1]:9464/healthz");
}

TEST(HealthzUrl, NothingToAskWhenOffOrOnAnEphemeralPort) {
    EXPECT_EQ(healthz_url(listen("127.0.0.1", 9464, false)), std::nullopt);
    EXPECT_EQ(healthz_url(listen("127.0.0.1", 0)), std::nullopt);
}

}  // namespace
}  // namespace csync::app
