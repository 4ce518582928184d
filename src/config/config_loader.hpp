#pragma once
// The YAML configuration loader: reads the file, expands ${ENV_VAR} and X_file credentials, and
// validates everything against the registered platforms' specs. Every problem is reported at once,
// one per line, as "FILE:LINE:COL: key.path: problem"; credential values never appear in messages.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csync/config.hpp"
#include "csync/error.hpp"
#include "csync/platform_spec.hpp"

namespace csync::config {

// Reads, expands and validates. On failure the Error (kind config) message lists EVERY problem,
// one per line, as "FILE:LINE:COL: key.path: problem".
Result<Config> load_config(const std::string& path, const std::vector<PlatformSpec>& platforms);

// The same from text, `source_name` used in messages (and as Config::source_path).
Result<Config> parse_config(const std::string& yaml_text, const std::string& source_name,
                            const std::vector<PlatformSpec>& platforms);

// Every resolved credential value of every account (to redact from logs), without duplicates.
std::vector<std::string> secret_values(const Config& config);

// "500ms", "30s", "5m", "6h", "1d" (a whole number and one unit) -> milliseconds; nullopt for
// anything else, zero included. Duration options keep this text in the Config; adapters reading
// them parse it with this function.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace csync::config
