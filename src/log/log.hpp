#pragma once
// Logging: spdlog underneath, text or JSON lines, every line tagged (account, stream, run), and
// secrets redacted from every line: registered credential values, and signature/secret/token
// parameters wherever they appear (URLs, bodies, messages).

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace csync::log {

struct Options {
    std::string level = "info";   // trace|debug|info|warn|error|critical|off
    std::string format = "text";  // text|json
};

// (Re)configures the process-wide logger (stderr). Safe to call again on reload. When stderr is
// the journal, lines carry no timestamp and start with a "<N>" syslog priority instead.
void init(const Options& options);
// True when stderr is the stream systemd's $JOURNAL_STREAM names (device and inode match).
bool stderr_is_journal();
// Registers a credential value: it is replaced by "***" in every later log line.
void add_secret(std::string value);
// Registers a request signature just computed: without a timestamp in it (Sunsky) it can be
// replayed for good, and a careless gateway may repeat it in an error message. The most recent
// kRecentSignatures are redacted like credentials (an error quotes the request just made).
inline constexpr std::size_t kRecentSignatures = 256;
void add_signature(std::string value);
// Redacts registered secrets, recent signatures and
// sign/signature/secret/appsecret/app_secret/salt/access_token/ refresh_token parameter values
// ("sign=abc" -> "sign=***", "\"secret\":\"x\"" -> ...).
std::string redact(std::string_view text);

// A cheap, copyable logger that tags its lines with key=value fields.
class Logger {
  public:
    Logger() = default;
    Logger with(std::string key, std::string value) const;

    template <class... A>
    void trace(spdlog::format_string_t<A...> f, A&&... a) const {
        emit(spdlog::level::trace, fmt::format(f, std::forward<A>(a)...));
    }
    template <class... A>
    void debug(spdlog::format_string_t<A...> f, A&&... a) const {
        emit(spdlog::level::debug, fmt::format(f, std::forward<A>(a)...));
    }
    template <class... A>
    void info(spdlog::format_string_t<A...> f, A&&... a) const {
        emit(spdlog::level::info, fmt::format(f, std::forward<A>(a)...));
    }
    template <class... A>
    void warn(spdlog::format_string_t<A...> f, A&&... a) const {
        emit(spdlog::level::warn, fmt::format(f, std::forward<A>(a)...));
    }
    template <class... A>
    void error(spdlog::format_string_t<A...> f, A&&... a) const {
        emit(spdlog::level::err, fmt::format(f, std::forward<A>(a)...));
    }

    void emit(spdlog::level::level_enum level, std::string message) const;
    const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

  private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

Logger root();

}  // namespace csync::log
