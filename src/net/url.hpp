#pragma once
// Absolute http(s) URLs as the HTTP client needs them: scheme, host, port and request target.
// Pure string handling, no Asio. Functions here do not throw.

#include <cstdint>
#include <string>
#include <string_view>

#include "csync/error.hpp"

namespace csync::net {

struct Url {
    std::string scheme;  // "http" or "https", lower case
    std::string host;    // without brackets for IPv6 literals: "::1"
    std::uint16_t port = 0;
    std::string target;  // "/path?query", never empty

    bool is_tls() const noexcept { return scheme == "https"; }
    bool host_is_ipv6_literal() const noexcept;
    // "host:port", IPv6 literals in brackets: what error messages name.
    std::string authority() const;
    // The Host header: the port only when it is not the scheme's default.
    std::string host_header() const;
};

// Parses "http(s)://host[:port][/path][?query][#fragment]". A bad URL is a config error that
// quotes the URL and says what is wrong with it.
Result<Url> parse_url(std::string_view text);

// Decodes %XX escapes (a '+' stays a '+': that rule belongs to form bodies and queries only).
// Malformed escapes are kept verbatim.
std::string percent_decode(std::string_view text);

}  // namespace csync::net
