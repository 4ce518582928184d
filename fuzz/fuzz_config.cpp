// The configuration loader over arbitrary YAML text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config_loader.hpp"
#include "registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto platforms = csync::platform_specs();
    const std::string text(reinterpret_cast<const char*>(data), size);
    (void)csync::config::parse_config(text, "fuzz.yaml", platforms);
    return 0;
}
