#include "config/config_loader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "csync/domain/time.hpp"

namespace csync::config {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDefaultTimezone = "Asia/Shanghai";
constexpr const char* kDurationForms =
    "a whole number and a unit (ms, s, m, h, d), such as 30s, 5m, 6h or 1d";
constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours(24 * 3650);

// A duration's text -> milliseconds, zero allowed (the caller says why zero is wrong).
enum class DurationParse { ok, garbage, too_long };
DurationParse parse_duration_text(std::string_view text, std::chrono::milliseconds& out) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0) return DurationParse::garbage;
    std::string_view unit = text.substr(digits);
    std::int64_t unit_ms = 0;
    if (unit == "ms") {
        unit_ms = 1;
    } else if (unit == "s") {
        unit_ms = 1000;
    } else if (unit == "m") {
        unit_ms = 60'000;
    } else if (unit == "h") {
        unit_ms = 3'600'000;
    } else if (unit == "d") {
        unit_ms = 86'400'000;
    } else {
        return DurationParse::garbage;
    }
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, n);
    if (ec == std::errc::result_out_of_range) return DurationParse::too_long;
    if (ec != std::errc{} || ptr != text.data() + digits) return DurationParse::garbage;
    if (n > static_cast<std::uint64_t>(kMaxDuration.count() / unit_ms))
        return DurationParse::too_long;
    out = std::chrono::milliseconds(static_cast<std::int64_t>(n) * unit_ms);
    return DurationParse::ok;
}

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out.empty() ? "none" : out;
}

std::string join_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

const char* describe_type(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Null:
            return "nothing (null)";
        case YAML::NodeType::Scalar:
            return "a scalar";
        case YAML::NodeType::Undefined:
            break;
    }
    return "nothing";
}

constexpr std::size_t kMaxCredentialFileBytes = 64 * 1024;  // a credential is short
constexpr std::size_t kMaxCaFileBytes = 16 * 1024 * 1024;   // a CA bundle is not

// Reads a file of at most `max_bytes`; returns the problem (naming the path, never the content)
// when it cannot. The bound keeps a path such as /dev/zero from filling the memory.
std::optional<std::string> read_whole_file(const std::string& path, std::string& content,
                                           std::size_t max_bytes) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return "cannot read " + path + ": it is a directory";
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot read " + path + ": " + std::strerror(errno);
    content.assign(max_bytes + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (in.bad()) return "cannot read " + path + ": " + std::strerror(errno);
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (content.size() > max_bytes) {
        return "cannot read " + path + ": larger than " + std::to_string(max_bytes / 1024) +
               " KiB, more than such a file ever holds";
    }
    return std::nullopt;
}

bool valid_account_name(const std::string& name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// One key of a mapping, with the nodes that carry its positions.
struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    std::string path;
};

struct Problem {
    int line = 0;
    int col = 0;
    std::string path;
    std::string text;
};

class Validator {
  public:
    Validator(std::string source, const std::vector<PlatformSpec>& platforms)
        : source_(std::move(source)), platforms_(platforms) {}

    Result<Config> run(const std::string& text) {
        YAML::Node root;
        try {
            root = YAML::Load(text);
        } catch (const YAML::Exception& e) {
            add(e.mark, "", "invalid YAML: " + e.msg);
            return fail();
        }
        Config config;
        config.source_path = source_;
        validate_root(root, config);
        if (!problems_.empty()) return fail();
        return config;
    }

  private:
    // ---- problems -------------------------------------------------------------------------

    void add(const YAML::Mark& mark, std::string path, std::string text) {
        Problem p;
        p.line = mark.is_null() ? 1 : mark.line + 1;
        p.col = mark.is_null() ? 1 : mark.column + 1;
        p.path = std::move(path);
        p.text = std::move(text);
        problems_.push_back(std::move(p));
    }
    void add(const YAML::Node& at, std::string path, std::string text) {
        add(at.Mark(), std::move(path), std::move(text));
    }

    Error fail() {
        std::stable_sort(problems_.begin(), problems_.end(),
                         [](const Problem& a, const Problem& b) {
                             return std::tie(a.line, a.col) < std::tie(b.line, b.col);
                         });
        std::string message;
        for (const auto& p : problems_) {
            if (!message.empty()) message += '\n';
            message += source_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.col) + ": ";
            if (!p.path.empty()) message += p.path + ": ";
            message += p.text;
        }
        return Error::config(std::move(message));
    }

    // ---- generic readers ------------------------------------------------------------------

    // The entries of a mapping (duplicates and non-scalar keys reported); nullopt if not a map.
    // `null_at` is where an empty (null) node is reported: yaml-cpp marks it at the next token.
    std::optional<std::vector<Entry>> mapping(const YAML::Node& node, const std::string& path,
                                              const char* what, const YAML::Node& null_at) {
        if (!node.IsMap()) {
            add(node.IsNull() ? null_at : node, path,
                std::string("expected ") + what + ", got " + describe_type(node));
            return std::nullopt;
        }
        std::vector<Entry> entries;
        std::set<std::string> seen;
        for (auto it = node.begin(); it != node.end(); ++it) {
            YAML::Node key = it->first;
            if (!key.IsScalar()) {
                add(key, path, std::string("keys must be names, got ") + describe_type(key));
                continue;
            }
            std::string name = key.Scalar();
            std::string p = join_path(path, name);
            if (!seen.insert(name).second) {
                add(key, p, "duplicate key");
                continue;
            }
            entries.push_back(Entry{name, key, it->second, p});
        }
        return entries;
    }

    std::optional<std::vector<Entry>> mapping(const Entry& e, const char* what = "a mapping") {
        return mapping(e.value, e.path, what, e.key_node);
    }

    // Where a problem with an entry's value is reported (an empty value: at its key).
    static const YAML::Node& at(const Entry& e) { return e.value.IsNull() ? e.key_node : e.value; }

    // Reports keys outside `known`; returns the entries by name.
    std::map<std::string, const Entry*> known_keys(const std::vector<Entry>& entries,
                                                   const std::vector<std::string>& known) {
        std::map<std::string, const Entry*> out;
        for (const auto& e : entries) {
            if (std::find(known.begin(), known.end(), e.key) == known.end()) {
                add(e.key_node, e.path, "unknown key (expected one of: " + join_names(known) + ")");
                continue;
            }
            out[e.key] = &e;
        }
        return out;
    }

    // Expands ${VAR} (and $${ -> ${) in a scalar's text. Messages never quote the text.
    std::optional<std::string> expand(const std::string& raw, const YAML::Node& at,
                                      const std::string& path) {
        std::string out;
        bool ok = true;
        for (std::size_t i = 0; i < raw.size();) {
            if (raw.compare(i, 3, "$${") == 0) {
                out += "${";
                i += 3;
                continue;
            }
            if (raw.compare(i, 2, "${") != 0) {
                out += raw[i++];
                continue;
            }
            std::size_t close = raw.find('}', i + 2);
            if (close == std::string::npos) {
                add(at, path, "unterminated ${ (write $${ for a literal ${)");
                return std::nullopt;
            }
            std::string name = raw.substr(i + 2, close - i - 2);
            bool valid_name = !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
                              std::all_of(name.begin(), name.end(), [](char c) {
                                  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                         (c >= '0' && c <= '9') || c == '_';
                              });
            if (!valid_name) {
                add(at, path,
                    "invalid environment variable reference (use ${NAME} with letters, digits "
                    "and _)");
                ok = false;
            } else if (const char* value = std::getenv(name.c_str()); value == nullptr) {
                add(at, path, "environment variable " + name + " is not set");
                ok = false;
            } else {
                out += value;
            }
            i = close + 1;
        }
        if (!ok) return std::nullopt;
        return out;
    }

    // A scalar value, expanded. `what` names the expected form in messages.
    std::optional<std::string> scalar(const Entry& e, const char* what = "a string") {
        if (!e.value.IsScalar()) {
            add(at(e), e.path, std::string("expected ") + what + ", got " + describe_type(e.value));
            return std::nullopt;
        }
        return expand(e.value.Scalar(), e.value, e.path);
    }

    std::optional<std::string> nonempty_string(const Entry& e) {
        auto s = scalar(e);
        if (s && s->empty()) {
            add(e.value, e.path, "must not be empty");
            return std::nullopt;
        }
        return s;
    }

    std::optional<bool> boolean(const Entry& e) {
        auto s = scalar(e, "true or false");
        if (!s) return std::nullopt;
        if (*s == "true" || *s == "True" || *s == "TRUE") return true;
        if (*s == "false" || *s == "False" || *s == "FALSE") return false;
        add(e.value, e.path, "expected true or false, got '" + *s + "'");
        return std::nullopt;
    }

    std::optional<long long> integer(const Entry& e, long long min, long long max) {
        auto s = scalar(e, "a whole number");
        if (!s) return std::nullopt;
        long long v = 0;
        auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
        if (s->empty() || ec == std::errc::invalid_argument || ptr != s->data() + s->size()) {
            add(e.value, e.path, "expected a whole number, got '" + *s + "'");
            return std::nullopt;
        }
        if (ec == std::errc::result_out_of_range || v < min || v > max) {
            add(e.value, e.path,
                "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                    ", got " + *s);
            return std::nullopt;
        }
        return v;
    }

    std::optional<double> positive_number(const Entry& e) {
        auto s = scalar(e, "a number");
        if (!s) return std::nullopt;
        double v = 0;
        auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
        if (s->empty() || ec != std::errc{} || ptr != s->data() + s->size() || !std::isfinite(v)) {
            add(e.value, e.path, "expected a number, got '" + *s + "'");
            return std::nullopt;
        }
        if (v <= 0) {
            add(e.value, e.path, "must be greater than zero, got " + *s);
            return std::nullopt;
        }
        return v;
    }

    // A positive duration; `whole_seconds` for intervals (the scheduler counts in seconds).
    std::optional<std::chrono::milliseconds> duration(const Entry& e, bool whole_seconds) {
        auto s = scalar(e, "a duration");
        if (!s) return std::nullopt;
        std::chrono::milliseconds d{0};
        switch (parse_duration_text(*s, d)) {
            case DurationParse::garbage:
                add(e.value, e.path, "invalid duration '" + *s + "': expected " + kDurationForms);
                return std::nullopt;
            case DurationParse::too_long:
                add(e.value, e.path, "duration '" + *s + "' is too long (at most 3650d)");
                return std::nullopt;
            case DurationParse::ok:
                break;
        }
        if (d <= 0ms) {
            add(e.value, e.path, "must be longer than zero, got '" + *s + "'");
            return std::nullopt;
        }
        if (whole_seconds && d.count() % 1000 != 0) {
            add(e.value, e.path,
                "must be a whole number of seconds (s, m, h or d), got '" + *s + "'");
            return std::nullopt;
        }
        return d;
    }

    // A declared option, typed; returns its normalized text.
    std::optional<std::string> option(const Entry& e, const OptionSpec& spec) {
        switch (spec.type) {
            case OptionType::boolean: {
                auto b = boolean(e);
                if (!b) return std::nullopt;
                return std::string(*b ? "true" : "false");
            }
            case OptionType::integer: {
                auto v = integer(e, std::numeric_limits<long long>::min(),
                                 std::numeric_limits<long long>::max());
                if (!v) return std::nullopt;
                return std::to_string(*v);
            }
            case OptionType::duration: {
                auto d = duration(e, false);
                if (!d) return std::nullopt;
                return std::to_string(d->count());  // milliseconds (see OptionSpec)
            }
            case OptionType::string:
                break;
        }
        auto text = scalar(e);
        if (text && spec.check) {
            if (auto why = spec.check(*text)) {
                add(e.value, e.path, *why);
                return std::nullopt;
            }
        }
        return text;
    }

    // ---- sections -------------------------------------------------------------------------

    void validate_root(const YAML::Node& root, Config& config) {
        if (root.IsNull()) {
            add(root, "", "the configuration is empty (it needs at least store and accounts)");
            return;
        }
        auto entries =
            mapping(root, "", "a mapping with store, log, http, retention and accounts", root);
        if (!entries) return;
        auto keys =
            known_keys(*entries, {"store", "log", "http", "retention", "replicas", "accounts"});
        if (auto it = keys.find("store"); it != keys.end())
            validate_store(*it->second, config.store);
        if (auto it = keys.find("log"); it != keys.end()) validate_log(*it->second, config.log);
        if (auto it = keys.find("http"); it != keys.end()) validate_http(*it->second, config.http);
        if (auto it = keys.find("retention"); it != keys.end()) {
            validate_retention(*it->second, config.retention);
        }
        if (auto it = keys.find("replicas"); it != keys.end()) {
            validate_replicas(*it->second, config.replicas);
        }
        if (auto it = keys.find("accounts"); it != keys.end()) {
            validate_accounts(*it->second, config.accounts);
        } else {
            add(root, "accounts", "missing (at least one account is needed)");
        }
    }

    void validate_retention(const Entry& retention, RetentionConfig& out) {
        auto entries = mapping(retention);
        if (!entries) return;
        auto keys = known_keys(*entries, {"runs", "changes"});
        if (auto it = keys.find("runs"); it != keys.end()) {
            if (auto d = duration(*it->second, true)) out.runs = *d;
        }
        if (auto it = keys.find("changes"); it != keys.end()) {
            if (auto d = duration(*it->second, true)) out.changes = *d;
        }
    }

    void validate_replicas(const Entry& replicas, ReplicasConfig& out) {
        auto entries = mapping(replicas);
        if (!entries) return;
        auto keys = known_keys(*entries, {"lease", "id"});
        if (auto it = keys.find("lease"); it != keys.end()) {
            // Renewed every third of the lease over a network round trip: below a second the
            // renewals would race their own expiry.
            if (auto d = duration(*it->second, false)) {
                if (*d < std::chrono::seconds(1)) {
                    add(it->second->value, it->second->path,
                        "must be at least 1s (the lease is renewed every third of it)");
                } else {
                    out.lease = *d;
                }
            }
        }
        if (auto it = keys.find("id"); it != keys.end()) {
            if (auto s = nonempty_string(*it->second)) {
                const bool valid =
                    s->size() <= 100 && std::all_of(s->begin(), s->end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                               c == '_' || c == '.' || c == ':';
                    });
                if (!valid) {
                    add(it->second->value, it->second->path,
                        "invalid replica id '" + *s +
                            "': at most 100 letters, digits, '-', '_', '.' or ':', unique per "
                            "replica");
                } else {
                    out.id = *s;
                }
            }
        }
    }

    void validate_store(const Entry& store, StoreConfig& out) {
        auto entries = mapping(store);
        if (!entries) return;
        auto keys = known_keys(*entries, {"backend", "path", "dsn", "dsn_file"});
        if (auto it = keys.find("backend"); it != keys.end()) {
            if (auto s = scalar(*it->second)) {
                if (*s != "sqlite" && *s != "postgres") {
                    add(it->second->value, it->second->path,
                        "unknown backend '" + *s + "' (expected sqlite or postgres)");
                } else {
                    out.backend = *s;
                }
            }
        }
        if (auto it = keys.find("path"); it != keys.end()) {
            if (auto s = nonempty_string(*it->second)) out.path = *s;
        }
        // The DSN may carry a password: messages name the key, never quote the value.
        const auto dsn = keys.find("dsn");
        const auto dsn_file = keys.find("dsn_file");
        if (dsn != keys.end() && dsn_file != keys.end()) {
            add(dsn_file->second->key_node, dsn_file->second->path,
                "given together with store.dsn: use dsn or dsn_file, not both");
        } else if (dsn != keys.end()) {
            if (auto v = scalar(*dsn->second)) {
                if (v->empty()) {
                    add(dsn->second->value, dsn->second->path, "must not be empty");
                } else {
                    out.dsn = std::move(*v);
                }
            }
        } else if (dsn_file != keys.end()) {
            if (auto file = nonempty_string(*dsn_file->second)) {
                std::string content;
                if (auto problem = read_whole_file(*file, content, kMaxCredentialFileBytes)) {
                    add(dsn_file->second->value, dsn_file->second->path, *problem);
                } else {
                    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
                        content.pop_back();
                    }
                    if (content.empty()) {
                        add(dsn_file->second->value, dsn_file->second->path,
                            "file " + *file + " is empty");
                    } else {
                        out.dsn = std::move(content);
                    }
                }
            }
        }
        if (out.backend == "postgres" && out.dsn.empty() && dsn == keys.end() &&
            dsn_file == keys.end()) {
            add(store.value, join_path(store.path, "dsn"),
                "missing: store.backend postgres needs dsn or dsn_file (a PostgreSQL connection "
                "string, e.g. postgresql://user@host/db)");
        }
        if (out.backend == "sqlite" && (dsn != keys.end() || dsn_file != keys.end())) {
            const Entry& e = dsn != keys.end() ? *dsn->second : *dsn_file->second;
            add(e.key_node, e.path,
                "only used with store.backend: postgres (the backend is sqlite)");
        }
    }

    void validate_log(const Entry& log, LogConfig& out) {
        auto entries = mapping(log);
        if (!entries) return;
        auto keys = known_keys(*entries, {"level", "format"});
        if (auto it = keys.find("level"); it != keys.end()) {
            static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                            "error", "critical", "off"};
            if (auto s = scalar(*it->second)) {
                if (std::find(levels.begin(), levels.end(), *s) == levels.end()) {
                    add(it->second->value, it->second->path,
                        "unknown level '" + *s + "' (expected one of: " + join_names(levels) + ")");
                } else {
                    out.level = *s;
                }
            }
        }
        if (auto it = keys.find("format"); it != keys.end()) {
            if (auto s = scalar(*it->second)) {
                if (*s != "text" && *s != "json") {
                    add(it->second->value, it->second->path,
                        "unknown format '" + *s + "' (expected text or json)");
                } else {
                    out.format = *s;
                }
            }
        }
    }

    void validate_http(const Entry& http, HttpListenConfig& out) {
        auto entries = mapping(http);
        if (!entries) return;
        auto keys = known_keys(*entries, {"listen"});
        auto it = keys.find("listen");
        if (it == keys.end()) return;
        const Entry& e = *it->second;
        if (e.value.IsSequence()) {  // listen: [::1]:9464 is YAML for a list
            add(e.value, e.path, "got a list: quote an IPv6 address, such as \"[::1]:9464\"");
            return;
        }
        auto s = scalar(e);
        if (!s) return;
        if (*s == "off") {
            out.enabled = false;
            return;
        }
        const std::string expected =
            "expected HOST:PORT (such as 127.0.0.1:9464 or [::1]:9464, port 0 to 65535) or off";
        std::string host;
        std::string port;
        if (!s->empty() && (*s)[0] == '[') {
            auto close = s->find("]:");
            if (close == std::string::npos || close == 1) {
                add(e.value, e.path, "invalid listen address '" + *s + "': " + expected);
                return;
            }
            host = s->substr(1, close - 1);
            port = s->substr(close + 2);
        } else {
            auto colon = s->rfind(':');
            if (colon == std::string::npos || colon == 0) {
                add(e.value, e.path, "invalid listen address '" + *s + "': " + expected);
                return;
            }
            host = s->substr(0, colon);
            port = s->substr(colon + 1);
            if (host.find(':') != std::string::npos) {
                add(e.value, e.path,
                    "invalid listen address '" + *s +
                        "': an IPv6 address needs brackets, such "
                        "as [::1]:9464");
                return;
            }
        }
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() ||
            value > 65535) {
            add(e.value, e.path, "invalid listen address '" + *s + "': " + expected);
            return;
        }
        out.host = host;
        out.port = static_cast<std::uint16_t>(value);
        out.enabled = true;
    }

    void validate_accounts(const Entry& accounts, std::vector<AccountConfig>& out) {
        if (!accounts.value.IsSequence()) {
            add(at(accounts), accounts.path,
                std::string("expected a list of accounts, got ") + describe_type(accounts.value));
            return;
        }
        if (accounts.value.size() == 0) {
            add(accounts.value, accounts.path, "must list at least one account");
            return;
        }
        std::map<std::string, std::size_t> names;
        for (std::size_t i = 0; i < accounts.value.size(); ++i) {
            YAML::Node item = accounts.value[i];
            std::string path = accounts.path + "[" + std::to_string(i) + "]";
            AccountConfig account;
            account_index_ = out.size();
            if (!validate_account(item, path, account, accounts.value)) continue;
            if (!account.name.empty()) {
                auto [it, inserted] = names.emplace(account.name, i);
                if (!inserted) {
                    add(item["name"], path + ".name",
                        "duplicate account name '" + account.name + "' (also accounts[" +
                            std::to_string(it->second) + "])");
                }
            }
            out.push_back(std::move(account));
        }
        validate_links(out);
    }

    // A link names another configured account whose platform publishes stock.
    void validate_links(const std::vector<AccountConfig>& accounts) {
        for (const auto& [index, link] : links_) {
            const AccountConfig& shop = accounts[index];
            const std::string& target = *shop.stock_from;
            auto it = std::find_if(accounts.begin(), accounts.end(),
                                   [&](const AccountConfig& a) { return a.name == target; });
            if (it == accounts.end()) {
                add(link.value, link.path, "no account named '" + target + "'");
            } else if (it->name == shop.name) {
                add(link.value, link.path, "an account cannot take stock from itself");
            } else if (const PlatformSpec* spec = find_platform(it->platform);
                       spec && !spec->find_stream("stock")) {
                add(link.value, link.path,
                    "account '" + target + "' is on " + spec->name +
                        ", which has no stock stream (link to an ERP account)");
            }
        }
        links_.clear();
    }

    const PlatformSpec* find_platform(const std::string& name) const {
        for (const auto& p : platforms_) {
            if (p.name == name) return &p;
        }
        return nullptr;
    }

    std::vector<std::string> platform_names() const {
        std::vector<std::string> names;
        for (const auto& p : platforms_) names.push_back(p.name);
        return names;
    }

    // Returns false when the item is not a mapping at all.
    bool validate_account(const YAML::Node& item, const std::string& path, AccountConfig& out,
                          const YAML::Node& list) {
        auto entries = mapping(item, path, "an account (a mapping)", list);
        if (!entries) return false;

        // The platform first: it decides which credentials, streams and options exist.
        const PlatformSpec* spec = nullptr;
        for (const auto& e : *entries) {
            if (e.key != "platform") continue;
            if (auto s = scalar(e)) {
                spec = find_platform(*s);
                if (spec) {
                    out.platform = spec->name;
                } else {
                    add(e.value, e.path,
                        "unknown platform '" + *s +
                            "' (expected one of: " + join_names(platform_names()) + ")");
                }
            }
        }

        std::vector<std::string> known = {
            "name",       "platform", "base_url",        "timezone", "credentials",
            "rate_limit", "tls",      "request_timeout", "streams",  "link"};
        std::map<std::string, const Entry*> keys;
        if (spec) {
            for (const auto& o : spec->account_options) known.push_back(o.name);
            keys = known_keys(*entries, known);
        } else {
            // Without a valid platform, a key is unknown when no platform declares it.
            std::vector<std::string> any_option;
            for (const auto& p : platforms_) {
                for (const auto& o : p.account_options) any_option.push_back(o.name);
            }
            for (const auto& e : *entries) {
                if (std::find(known.begin(), known.end(), e.key) != known.end()) {
                    keys[e.key] = &e;
                } else if (std::find(any_option.begin(), any_option.end(), e.key) ==
                           any_option.end()) {
                    add(e.key_node, e.path,
                        "unknown key (expected one of: " + join_names(known) +
                            ", or an option of the account's platform)");
                }
            }
        }

        if (auto it = keys.find("name"); it != keys.end()) {
            if (auto s = scalar(*it->second)) {
                if (!valid_account_name(*s)) {
                    add(it->second->value, it->second->path,
                        "invalid account name '" + *s +
                            "': use lower-case letters, digits, '_' and '-' only");
                }
                out.name = *s;
            }
        } else {
            add(item, path + ".name", "missing");
        }
        if (keys.find("platform") == keys.end()) {
            add(item, path + ".platform",
                "missing (expected one of: " + join_names(platform_names()) + ")");
        }

        out.base_url = spec ? spec->default_base_url : "";
        if (auto it = keys.find("base_url"); it != keys.end()) {
            if (auto s = scalar(*it->second)) {
                if (valid_base_url(*s)) {
                    out.base_url = *s;
                    while (out.base_url.size() > 1 && out.base_url.back() == '/')
                        out.base_url.pop_back();
                } else {
                    add(it->second->value, it->second->path,
                        "invalid base_url '" + *s +
                            "': expected http://HOST[:PORT][/PATH] or "
                            "https://...");
                }
            }
        } else if (spec && out.base_url.empty()) {
            add(item, path + ".base_url", "missing (" + spec->name + " has no default)");
        }

        out.timezone =
            spec && !spec->default_timezone.empty() ? spec->default_timezone : kDefaultTimezone;
        if (auto it = keys.find("timezone"); it != keys.end()) {
            if (auto s = scalar(*it->second)) {
                auto zone = TimeZone::from_name(*s);
                if (zone.ok()) {
                    out.timezone = *s;
                } else {
                    add(it->second->value, it->second->path, zone.error().message);
                }
            }
        }

        if (auto it = keys.find("credentials"); it != keys.end()) {
            validate_credentials(*it->second, spec, out.credentials);
        } else if (spec && !spec->required_credentials.empty()) {
            add(item, path + ".credentials",
                "missing (" + spec->name + " needs " + join_names(spec->required_credentials) +
                    ")");
        }

        if (auto it = keys.find("rate_limit"); it != keys.end()) {
            validate_rate_limit(*it->second, out.rate_limit);
        }
        if (auto it = keys.find("tls"); it != keys.end()) validate_tls(*it->second, out.tls);
        if (auto it = keys.find("request_timeout"); it != keys.end()) {
            if (auto d = duration(*it->second, false)) out.request_timeout = *d;
        }

        if (auto it = keys.find("link"); it != keys.end()) validate_link(*it->second, out);
        if (auto it = keys.find("streams"); it != keys.end()) {
            validate_streams(*it->second, spec, out.streams);
        } else if (spec) {
            // No streams listed: every stream of the platform, with its defaults.
            for (const auto& s : spec->streams) {
                if (s.enabled_by_default) out.streams.push_back(default_stream(s));
            }
        }

        if (spec) {
            for (const auto& o : spec->account_options) {
                if (auto it = keys.find(o.name); it != keys.end()) {
                    if (auto v = option(*it->second, o)) out.options[o.name] = *v;
                } else if (!o.default_value.empty()) {
                    out.options[o.name] = o.default_value;
                }
            }
        }
        return true;
    }

    // link: { stock_from: ACCOUNT }; the target is checked once every account is read.
    void validate_link(const Entry& link, AccountConfig& out) {
        auto entries = mapping(link, "a mapping such as { stock_from: wdt-main }");
        if (!entries) return;
        auto keys = known_keys(*entries, {"stock_from"});
        auto it = keys.find("stock_from");
        if (it == keys.end()) {
            add(link.value, link.path + ".stock_from", "missing");
            return;
        }
        if (auto s = scalar(*it->second)) {
            out.stock_from = *s;
            links_.emplace_back(account_index_, *it->second);
        }
    }

    static bool valid_base_url(const std::string& url) {
        std::string rest;
        if (url.rfind("http://", 0) == 0) {
            rest = url.substr(7);
        } else if (url.rfind("https://", 0) == 0) {
            rest = url.substr(8);
        } else {
            return false;
        }
        if (rest.empty() || rest[0] == '/' || rest[0] == ':') return false;
        return std::none_of(url.begin(), url.end(), [](char c) {
            return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '?' || c == '#';
        });
    }

    void validate_credentials(const Entry& creds, const PlatformSpec* spec,
                              std::map<std::string, std::string>& out) {
        auto entries = mapping(creds);
        if (!entries || !spec) return;
        std::vector<std::string> allowed = spec->required_credentials;
        allowed.insert(allowed.end(), spec->optional_credentials.begin(),
                       spec->optional_credentials.end());
        std::map<std::string, const Entry*> given;  // credential name -> the entry that gives it
        for (const auto& e : *entries) {
            std::string name = e.key;
            bool from_file = false;
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end() &&
                name.size() > 5 && name.compare(name.size() - 5, 5, "_file") == 0) {
                name = name.substr(0, name.size() - 5);
                from_file = true;
            }
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
                add(e.key_node, e.path,
                    "unknown credential (" + spec->name + " takes: " + join_names(allowed) +
                        "; any of them may be given as NAME_file: PATH)");
                continue;
            }
            if (auto it = given.find(name); it != given.end()) {
                add(e.key_node, e.path,
                    "given twice (also as " + it->second->key + "): use " + name + " or " + name +
                        "_file, not both");
                continue;
            }
            given[name] = &e;
            if (from_file) {
                auto file = nonempty_string(e);
                if (!file) continue;
                std::string content;
                if (auto problem = read_whole_file(*file, content, kMaxCredentialFileBytes)) {
                    add(e.value, e.path, *problem);
                    continue;
                }
                if (!content.empty() && content.back() == '\n') {
                    content.pop_back();
                    if (!content.empty() && content.back() == '\r') content.pop_back();
                }
                if (content.empty()) {
                    add(e.value, e.path, "file " + *file + " is empty");
                    continue;
                }
                out[name] = std::move(content);
            } else if (auto v = scalar(e)) {
                if (v->empty()) {
                    add(e.value, e.path, "must not be empty");
                    continue;
                }
                out[name] = std::move(*v);
            }
        }
        for (const auto& required : spec->required_credentials) {
            if (given.find(required) == given.end()) {
                add(creds.value, join_path(creds.path, required),
                    "missing (give " + required + " or " + required + "_file)");
            }
        }
    }

    void validate_rate_limit(const Entry& rl, RateLimitConfig& out) {
        auto entries = mapping(rl);
        if (!entries) return;
        auto keys = known_keys(*entries, {"per_second", "burst"});
        if (auto it = keys.find("per_second"); it != keys.end()) {
            if (auto v = positive_number(*it->second)) out.per_second = *v;
        }
        if (auto it = keys.find("burst"); it != keys.end()) {
            if (auto v = positive_number(*it->second)) {
                if (*v < 1.0) {
                    add(it->second->value, it->second->path,
                        "must be at least 1 (each request takes one token)");
                } else {
                    out.burst = *v;
                }
            }
        }
    }

    void validate_tls(const Entry& tls, TlsConfig& out) {
        auto entries = mapping(tls);
        if (!entries) return;
        auto keys = known_keys(*entries, {"ca_file", "verify"});
        if (auto it = keys.find("ca_file"); it != keys.end()) {
            const Entry& e = *it->second;
            if (e.value.IsNull()) {
                out.ca_file.reset();
            } else if (auto s = nonempty_string(e)) {
                std::string pem;
                if (auto problem = read_whole_file(*s, pem, kMaxCaFileBytes)) {
                    add(e.value, e.path, *problem);
                } else {
                    out.ca_file = *s;
                }
            }
        }
        if (auto it = keys.find("verify"); it != keys.end()) {
            if (auto b = boolean(*it->second)) out.verify = *b;
        }
    }

    static StreamConfig default_stream(const StreamSpec& spec) {
        StreamConfig s;
        s.name = spec.name;
        s.interval = spec.default_interval;
        s.page_size = spec.default_page_size;
        for (const auto& o : spec.options) {
            if (!o.default_value.empty()) s.options[o.name] = o.default_value;
        }
        return s;
    }

    void validate_streams(const Entry& streams, const PlatformSpec* spec,
                          std::vector<StreamConfig>& out) {
        auto entries = mapping(streams, "a mapping of stream names");
        if (!entries || !spec) return;
        std::vector<std::string> names;
        for (const auto& s : spec->streams) names.push_back(s.name);
        for (const auto& e : *entries) {
            const StreamSpec* ss = spec->find_stream(e.key);
            if (!ss) {
                add(e.key_node, e.path,
                    "unknown stream (" + spec->name + " has: " + join_names(names) + ")");
                continue;
            }
            StreamConfig stream = default_stream(*ss);
            if (e.value.IsNull()) {  // "products:" alone: the defaults
                out.push_back(std::move(stream));
                continue;
            }
            auto fields = mapping(e, "a mapping (or {} for the defaults)");
            if (!fields) continue;
            std::vector<std::string> known = {"interval"};
            const int max_page =
                ss->max_page_size > 0 ? ss->max_page_size : std::numeric_limits<int>::max();
            const bool paged = ss->max_page_size > 0 || ss->default_page_size > 0;
            if (paged) known.push_back("page_size");
            for (const auto& o : ss->options) known.push_back(o.name);
            for (const auto& f : *fields) {
                if (f.key == "page_size" && !paged) {
                    add(f.key_node, f.path, "the " + ss->name + " stream has no page size");
                }
            }
            std::vector<Entry> rest;
            for (const auto& f : *fields) {
                if (!(f.key == "page_size" && !paged)) rest.push_back(f);
            }
            auto keys = known_keys(rest, known);
            if (auto it = keys.find("interval"); it != keys.end()) {
                if (auto d = duration(*it->second, true)) {
                    stream.interval = std::chrono::duration_cast<std::chrono::seconds>(*d);
                }
            }
            if (auto it = keys.find("page_size"); it != keys.end()) {
                if (auto v = integer(*it->second, 1, max_page))
                    stream.page_size = static_cast<int>(*v);
            }
            for (const auto& o : ss->options) {
                if (auto it = keys.find(o.name); it != keys.end()) {
                    if (auto v = option(*it->second, o)) stream.options[o.name] = *v;
                }
            }
            out.push_back(std::move(stream));
        }
    }

    std::string source_;
    const std::vector<PlatformSpec>& platforms_;
    std::vector<Problem> problems_;
    std::size_t account_index_ = 0;                     // where the account being read goes
    std::vector<std::pair<std::size_t, Entry>> links_;  // (account index, its stock_from)
};

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::chrono::milliseconds d{0};
    if (parse_duration_text(text, d) != DurationParse::ok || d <= 0ms) return std::nullopt;
    return d;
}

Result<Config> parse_config(const std::string& yaml_text, const std::string& source_name,
                            const std::vector<PlatformSpec>& platforms) {
    return Validator(source_name, platforms).run(yaml_text);
}

Result<Config> load_config(const std::string& path, const std::vector<PlatformSpec>& platforms) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return Error::config(path + ": cannot read the configuration file: it is a directory");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error::config(path +
                             ": cannot read the configuration file: " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return Error::config(path +
                             ": cannot read the configuration file: " + std::strerror(errno));
    }
    return parse_config(text.str(), path, platforms);
}

std::vector<std::string> secret_values(const Config& config) {
    std::vector<std::string> out;
    // The DSN may carry a password: the whole string is masked wherever it could appear.
    if (!config.store.dsn.empty()) out.push_back(config.store.dsn);
    for (const auto& account : config.accounts) {
        for (const auto& [name, value] : account.credentials) {
            if (!value.empty() && std::find(out.begin(), out.end(), value) == out.end()) {
                out.push_back(value);
            }
        }
    }
    return out;
}

}  // namespace csync::config
