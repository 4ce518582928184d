// The status endpoint's (and the simulators') request parsing: bytes as a client sends them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/http_server.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    (void)csync::parse_http_request(raw, 64 * 1024);
    return 0;
}
