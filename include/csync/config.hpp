#pragma once
// The validated configuration. Produced by the YAML loader (src/config), which reports every
// problem at once with file:line:col and the key path; nothing here is unvalidated input.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace csync {

struct RateLimitConfig {
    double per_second = 5.0;
    double burst = 10.0;
};

struct TlsConfig {
    std::optional<std::string> ca_file;  // PEM bundle; system store when absent
    bool verify = true;
};

struct StreamConfig {
    std::string name;
    std::chrono::seconds interval{300};
    int page_size = 0;  // 0: the platform's default
    // Platform-specific stream options (declared in the platform's StreamSpec), as the loader's
    // normalized text (see OptionSpec).
    std::map<std::string, std::string> options;

    // A declared integer option; nullopt when absent (or not an integer).
    std::optional<std::int64_t> integer_option(const std::string& key) const {
        auto it = options.find(key);
        if (it == options.end()) return std::nullopt;
        std::int64_t v = 0;
        const std::string& s = it->second;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
        return v;
    }
    // A declared duration option (normalized to milliseconds); nullopt when absent.
    std::optional<std::chrono::milliseconds> duration_option(const std::string& key) const {
        auto ms = integer_option(key);
        if (!ms) return std::nullopt;
        return std::chrono::milliseconds{*ms};
    }
};

struct AccountConfig {
    std::string name;      // unique, [a-z0-9_-]+
    std::string platform;  // registered platform name
    std::string base_url;
    std::string timezone;  // zone of the platform's naive timestamps
    // Resolved credential values (after ${ENV} and X_file expansion). Never log these.
    std::map<std::string, std::string> credentials;
    RateLimitConfig rate_limit;
    TlsConfig tls;
    std::vector<StreamConfig> streams;
    // Platform-specific account options (declared in the platform's PlatformSpec), scalar text.
    std::map<std::string, std::string> options;
    std::chrono::milliseconds request_timeout{60'000};
    // link: { stock_from: ACCOUNT }: the ERP account whose stock the `catalogue` view puts beside
    // this (shop) account's products. Validated: an existing account of a platform with stock.
    std::optional<std::string> stock_from;

    const StreamConfig* find_stream(const std::string& stream) const {
        for (const auto& s : streams) {
            if (s.name == stream) return &s;
        }
        return nullptr;
    }
    std::string option(const std::string& key, const std::string& fallback = {}) const {
        auto it = options.find(key);
        return it == options.end() ? fallback : it->second;
    }
};

struct StoreConfig {
    std::string backend = "sqlite";                            // sqlite | postgres
    std::string path = "/var/lib/commerce-syncd/commerce.db";  // sqlite
    // postgres: a libpq connection string or URI (from dsn, or read from dsn_file). A secret:
    // it may hold a password, so it is shown only through redact_dsn and never logged.
    std::string dsn;
};

// Replicas (top-level `replicas`): daemons sharing one PostgreSQL store split its accounts by
// leases. Only read with the postgres backend, where replicas are always on.
struct ReplicasConfig {
    // A lease not renewed for this long is free for another replica; renewed every third of it.
    std::chrono::milliseconds lease = std::chrono::seconds(30);
    // This replica's name in the lease table and `status`; default hostname-pid-random.
    std::optional<std::string> id;

    bool operator==(const ReplicasConfig&) const = default;
};

struct LogConfig {
    std::string level = "info";   // trace|debug|info|warn|error|critical|off
    std::string format = "text";  // text|json
};

struct HttpListenConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 9464;  // 0: pick a free port (tests)
    bool enabled = true;

    bool operator==(const HttpListenConfig&) const = default;
};

// How long history is kept (top-level `retention`). Changes a registered consumer has not read
// (change_consumers.last_id) are kept however old they are.
struct RetentionConfig {
    std::chrono::milliseconds runs = std::chrono::hours(24 * 30);     // sync_runs
    std::chrono::milliseconds changes = std::chrono::hours(24 * 90);  // the change feed

    bool operator==(const RetentionConfig&) const = default;
};

struct Config {
    std::string source_path;  // the file it was read from
    StoreConfig store;
    LogConfig log;
    HttpListenConfig http;
    RetentionConfig retention;
    ReplicasConfig replicas;
    std::vector<AccountConfig> accounts;

    const AccountConfig* find_account(const std::string& name) const {
        for (const auto& a : accounts) {
            if (a.name == name) return &a;
        }
        return nullptr;
    }
};

}  // namespace csync
