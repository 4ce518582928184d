#include "log/log.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <mutex>
#include <shared_mutex>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <nlohmann/json.hpp>

namespace csync::log {
namespace {

// Parameter names whose values are secret wherever they appear: query strings, form bodies,
// JSON, "name: value" text. Matched case-insensitively as whole names.
constexpr std::array<std::string_view, 9> kSecretNames = {
    "sign", "signature",    "secret",        "appsecret", "app_secret",
    "salt", "access_token", "refresh_token", "password",
};

struct State {
    std::shared_mutex mutex;
    std::vector<std::string> secrets;    // longest first, so a secret containing another wins
    std::deque<std::string> signatures;  // the most recent request signatures, newest last
    bool json = false;
};

State& state() {
    static State s;
    return s;
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool is_secret_name(std::string_view name) {
    return std::any_of(kSecretNames.begin(), kSecretNames.end(),
                       [&](std::string_view s) { return iequals(s, name); });
}

// Masks the value after every secret parameter name as query strings, forms and JSON write it:
// `sign=v`, `"sign":"v"`. Prose such as "secret: missing" is left readable: values that are
// known (credentials) are masked wherever they appear by redact() itself.
std::string redact_parameters(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    std::size_t i = 0;
    while (i < in.size()) {
        if (!is_name_char(in[i]) || (i > 0 && is_name_char(in[i - 1]))) {
            out += in[i++];
            continue;
        }
        std::size_t end = i;
        while (end < in.size() && is_name_char(in[end])) ++end;
        std::string_view name = in.substr(i, end - i);
        out.append(name);
        i = end;
        if (!is_secret_name(name)) continue;

        // The separator: '=', ':' or '":' (JSON), optional spaces and an opening quote.
        std::size_t j = i;
        bool quoted_name = j < in.size() && in[j] == '"';
        if (quoted_name) ++j;
        while (j < in.size() && in[j] == ' ') ++j;
        if (j >= in.size() || !(in[j] == '=' || (quoted_name && in[j] == ':'))) continue;
        ++j;
        while (j < in.size() && in[j] == ' ') ++j;
        char quote = 0;
        if (j < in.size() && (in[j] == '"' || in[j] == '\'')) quote = in[j++];
        std::size_t value_end = j;
        if (quote) {
            while (value_end < in.size() && in[value_end] != quote) {
                value_end += (in[value_end] == '\\' && value_end + 1 < in.size()) ? 2 : 1;
            }
        } else {
            while (value_end < in.size() && in[value_end] != '&' && in[value_end] != ' ' &&
                   in[value_end] != ',' && in[value_end] != '}' && in[value_end] != '\n' &&
                   in[value_end] != ';' && in[value_end] != ')') {
                ++value_end;
            }
        }
        if (value_end == j) continue;  // nothing to mask
        out.append(in.substr(i, j - i));
        out += "***";
        i = value_end;
    }
    return out;
}

std::string form_encoded(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

void replace_all(std::string& text, std::string_view needle) {
    if (needle.empty()) return;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 3)) {
        text.replace(pos, needle.size(), "***");
    }
}

// "%*": the sd-daemon(3) priority prefix journald reads ("<3>" error ... "<7>" debug).
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        char prefix[4] = {'<', priority_digit(msg.level), '>', '\0'};
        dest.append(prefix, prefix + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<SyslogPriorityFlag>();
    }

  private:
    static char priority_digit(spdlog::level::level_enum level) {
        switch (level) {
            case spdlog::level::critical:
                return '2';
            case spdlog::level::err:
                return '3';
            case spdlog::level::warn:
                return '4';
            case spdlog::level::info:
                return '6';
            default:
                return '7';
        }
    }
};

std::shared_ptr<spdlog::logger> make_logger(bool json, bool journal) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>("commerce-syncd", std::move(sink));
    if (journal) {
        // The journal stamps each line itself and reads its priority from the prefix.
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<SyslogPriorityFlag>('*').set_pattern(json ? R"(%*{"level":"%l",%v})"
                                                                      : "%*%-5l %v");
        logger->set_formatter(std::move(formatter));
    } else if (json) {
        logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                            spdlog::pattern_time_type::utc);
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l %v", spdlog::pattern_time_type::utc);
    }
    return logger;
}

}  // namespace

bool stderr_is_journal() {
    // systemd sets $JOURNAL_STREAM to "DEV:INODE" of the stream it connected; a child whose
    // stderr was redirected elsewhere inherits the variable, hence the comparison.
    const char* env = std::getenv("JOURNAL_STREAM");
    if (!env || !*env) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
}

void init(const Options& options) {
    auto& s = state();
    bool json = options.format == "json";
    auto logger = make_logger(json, stderr_is_journal());
    logger->set_level(spdlog::level::from_str(options.level));
    logger->flush_on(spdlog::level::warn);
    {
        std::unique_lock lock(s.mutex);
        s.json = json;
    }
    spdlog::set_default_logger(std::move(logger));
}

void add_secret(std::string value) {
    // Very short values would mask ordinary words; credentials are never that short.
    if (value.size() < 4) return;
    auto& s = state();
    std::unique_lock lock(s.mutex);
    auto add = [&](std::string v) {
        if (std::find(s.secrets.begin(), s.secrets.end(), v) == s.secrets.end()) {
            s.secrets.push_back(std::move(v));
        }
    };
    std::string encoded = form_encoded(value);
    if (encoded != value) add(std::move(encoded));
    // A "secret:salt" credential is signed as two parts; either may show up alone.
    if (auto colon = value.find(':'); colon != std::string::npos) {
        if (colon >= 4) add(value.substr(0, colon));
        if (value.size() - colon - 1 >= 4) add(value.substr(colon + 1));
    }
    add(std::move(value));
    std::sort(s.secrets.begin(), s.secrets.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void add_signature(std::string value) {
    if (value.size() < 8) return;
    auto& s = state();
    std::unique_lock lock(s.mutex);
    if (std::find(s.signatures.begin(), s.signatures.end(), value) != s.signatures.end()) return;
    s.signatures.push_back(std::move(value));
    if (s.signatures.size() > kRecentSignatures) s.signatures.pop_front();
}

std::string redact(std::string_view text) {
    std::string out(text);
    {
        auto& s = state();
        std::shared_lock lock(s.mutex);
        for (const auto& secret : s.secrets) replace_all(out, secret);
        for (const auto& signature : s.signatures) replace_all(out, signature);
    }
    return redact_parameters(out);
}

Logger Logger::with(std::string key, std::string value) const {
    Logger copy = *this;
    for (auto& [k, v] : copy.fields_) {
        if (k == key) {
            v = std::move(value);
            return copy;
        }
    }
    copy.fields_.emplace_back(std::move(key), std::move(value));
    return copy;
}

void Logger::emit(spdlog::level::level_enum level, std::string message) const {
    auto logger = spdlog::default_logger();
    if (!logger->should_log(level)) return;
    bool json;
    {
        auto& s = state();
        std::shared_lock lock(s.mutex);
        json = s.json;
    }
    std::string line;
    if (json) {
        // The pattern opens the object with ts and level; the rest is ours, already escaped.
        nlohmann::json obj = nlohmann::json::object();
        for (const auto& [k, v] : fields_) obj[k] = redact(v);
        obj["msg"] = redact(message);
        std::string dumped = obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        line = dumped.substr(1, dumped.size() - 2);
    } else {
        for (const auto& [k, v] : fields_) {
            line += k;
            line += '=';
            line += v;
            line += ' ';
        }
        line += message;
        line = redact(line);
    }
    logger->log(level, "{}", line);
}

Logger root() { return Logger{}; }

}  // namespace csync::log
