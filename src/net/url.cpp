#include "net/url.hpp"

#include <cctype>
#include <charconv>

namespace csync::net {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

Error bad_url(std::string_view text, std::string_view why) {
    // The query is left out of the message: it may carry credentials or signatures.
    const std::string_view shown = text.substr(0, text.find('?'));
    return Error::config("invalid URL '" + std::string(shown) + "': " + std::string(why));
}

}  // namespace

bool Url::host_is_ipv6_literal() const noexcept { return host.find(':') != std::string::npos; }

std::string Url::authority() const {
    std::string out = host_is_ipv6_literal() ? "[" + host + "]" : host;
    out += ':';
    out += std::to_string(port);
    return out;
}

std::string Url::host_header() const {
    std::string out = host_is_ipv6_literal() ? "[" + host + "]" : host;
    const std::uint16_t default_port = is_tls() ? 443 : 80;
    if (port != default_port) {
        out += ':';
        out += std::to_string(port);
    }
    return out;
}

Result<Url> parse_url(std::string_view text) {
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return bad_url(text, "expected http://host/... or https://host/...");
    }
    Url url;
    url.scheme = lower(text.substr(0, scheme_end));
    if (url.scheme != "http" && url.scheme != "https") {
        return bad_url(text, "unsupported scheme '" + url.scheme + "'; use http:// or https://");
    }
    std::string_view rest = text.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view target =
        authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

    if (authority.find('@') != std::string_view::npos) {
        return bad_url(text, "credentials in the URL are not supported");
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return bad_url(text, "IPv6 address without its closing ']'");
        }
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return bad_url(text, "unexpected text after the IPv6 address");
            }
            port_text = after.substr(1);
            if (port_text.empty()) {
                return bad_url(text, "empty port");
            }
        }
    } else {
        const auto colon = authority.find(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) {
                return bad_url(text, "empty port");
            }
        }
    }
    if (url.host.empty()) {
        return bad_url(text, "no host");
    }
    if (port_text.empty()) {
        url.port = url.is_tls() ? 443 : 80;
    } else {
        unsigned value = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535) {
            return bad_url(text, "port '" + std::string(port_text) + "' is not in 1..65535");
        }
        url.port = static_cast<std::uint16_t>(value);
    }

    if (const auto hash = target.find('#'); hash != std::string_view::npos) {
        target = target.substr(0, hash);
    }
    if (target.empty() || target.front() == '?') {
        // Built by append, not operator+: GCC 12 reports a false -Wrestrict on "/" + string.
        url.target.reserve(target.size() + 1);
        url.target.push_back('/');
        url.target.append(target);
    } else {
        url.target = std::string(target);
    }
    for (char c : url.target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) {
            return bad_url(text, "spaces and control characters must be percent-encoded");
        }
    }
    return url;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
            hex_digit(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace csync::net
