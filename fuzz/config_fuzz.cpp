// libFuzzer target: any bytes as the YAML configuration, validated against the real platform
// specs. Every problem must come back as a config error; a crash, a leak or a sanitizer report
// is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config_loader.hpp"
#include "registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<csync::PlatformSpec> specs = csync::platform_specs();
    const std::string text(reinterpret_cast<const char*>(data), size);
    (void)csync::config::parse_config(text, "fuzz.yaml", specs);
    return 0;
}
