#pragma once
// What a platform declares about itself, so that generic layers (config validation, CLI,
// scheduler) need no platform-specific code. Adding a platform adds a spec, never a branch.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace csync {

enum class OptionType { boolean, integer, string, duration };

// A platform option, validated by the config loader and handed to the adapter as normalized
// text: booleans "true"/"false", integers in decimal, durations in whole milliseconds ("300000"
// for 5m; a configured duration is always longer than zero).
struct OptionSpec {
    std::string name;
    OptionType type = OptionType::string;
    std::string default_value;  // as text, in the form above; empty = no default
    std::string help;
    // For string options: why a configured value is unusable (nullopt: it is fine), so a bad
    // value stops the start-up instead of the first page.
    std::function<std::optional<std::string>(std::string_view value)> check;
};

struct StreamSpec {
    std::string name;
    std::chrono::seconds default_interval{300};
    int default_page_size = 0;  // 0: the stream has no page size
    int max_page_size = 0;
    std::vector<OptionSpec> options;
    // Whether an account that lists no streams runs this one.
    bool enabled_by_default = true;
};

struct PlatformSpec {
    std::string name;
    std::string default_base_url;
    std::string default_timezone;
    std::vector<std::string> required_credentials;
    std::vector<std::string> optional_credentials;
    std::vector<StreamSpec> streams;
    std::vector<OptionSpec> account_options;

    const StreamSpec* find_stream(const std::string& n) const {
        for (const auto& s : streams) {
            if (s.name == n) return &s;
        }
        return nullptr;
    }
};

}  // namespace csync
