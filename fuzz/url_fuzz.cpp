// URLs (base_url) and percent-encoded, form-encoded text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "csync/ports/http_client.hpp"
#include "net/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)csync::net::parse_url(text);
    (void)csync::net::percent_decode(text);
    (void)csync::parse_form(text);
    return 0;
}
