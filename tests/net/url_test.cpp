#include <gtest/gtest.h>

#include "net/url.hpp"

namespace csync::net {
namespace {

TEST(ParseUrl, DefaultsPortsAndTarget) {
    auto u = parse_url("HTTPS://open.sunsky-online.com");
    ASSERT_TRUE(u.ok()) << u.error().describe();
    EXPECT_EQ(u->scheme, "https");
    EXPECT_EQ(u->host, "open.sunsky-online.com");
    EXPECT_EQ(u->port, 443);
    EXPECT_EQ(u->target, "/");
    EXPECT_EQ(u->host_header(), "open.sunsky-online.com");
    EXPECT_EQ(u->authority(), "open.sunsky-online.com:443");

    auto plain = parse_url("http://127.0.0.1:5001/openapi/product!search.do?key=a&b=c#frag");
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain->port, 5001);
    EXPECT_EQ(plain->target, "/openapi/product!search.do?key=a&b=c");
    EXPECT_EQ(plain->host_header(), "127.0.0.1:5001");

    auto query_only = parse_url("http://h?x=1");
    ASSERT_TRUE(query_only.ok());
    EXPECT_EQ(query_only->target, "/?x=1");
    EXPECT_EQ(query_only->port, 80);
}

TEST(ParseUrl, Ipv6Literals) {
    auto u = parse_url("http://[::1]:8080/a");
    ASSERT_TRUE(u.ok()) << u.error().describe();
    EXPECT_EQ(u->host, "::1");
    EXPECT_TRUE(u->host_is_ipv6_literal());
    EXPECT_EQ(u->authority(), "[::1]:8080");
    EXPECT_EQ(u->host_header(), "[::1]:8080");
    auto default_port = parse_url("https://[2001:db8::2]/");
    ASSERT_TRUE(default_port.ok());
    EXPECT_EQ(default_port->host_header(), "[2001:db8::2]");
}

TEST(ParseUrl, RejectsWhatItCannotUseWithAReason) {
    struct Case {
        const char* url;
        const char* message;
    };
    const Case cases[] = {
        {"example.com/x",
         "invalid URL 'example.com/x': expected http://host/... or https://host/..."},
        {"ftp://h/x?sign=s",
         "invalid URL 'ftp://h/x': unsupported scheme 'ftp'; use http:// or https://"},
        {"http:///x", "invalid URL 'http:///x': no host"},
        {"http://h:0/", "invalid URL 'http://h:0/': port '0' is not in 1..65535"},
        {"http://h:99999/", "invalid URL 'http://h:99999/': port '99999' is not in 1..65535"},
        {"http://h:8x/", "invalid URL 'http://h:8x/': port '8x' is not in 1..65535"},
        {"http://h:/", "invalid URL 'http://h:/': empty port"},
        {"http://[::1/", "invalid URL 'http://[::1/': IPv6 address without its closing ']'"},
        {"http://user:pw@h/",
         "invalid URL 'http://user:pw@h/': credentials in the URL are not supported"},
        {"http://h/a b",
         "invalid URL 'http://h/a b': spaces and control characters must be percent-encoded"},
    };
    for (const auto& c : cases) {
        auto u = parse_url(c.url);
        ASSERT_FALSE(u.ok()) << c.url;
        EXPECT_EQ(u.error().kind, ErrorKind::config);
        EXPECT_EQ(u.error().message, c.message);
    }
}

TEST(PercentDecode, DecodesEscapesOnly) {
    EXPECT_EQ(percent_decode("/a%20b/%E4%B8%AD"), "/a b/\xE4\xB8\xAD");
    EXPECT_EQ(percent_decode("/a+b"), "/a+b");
    EXPECT_EQ(percent_decode("/100%"), "/100%");
    EXPECT_EQ(percent_decode("/%zz%4"), "/%zz%4");
}

}  // namespace
}  // namespace csync::net
