// The configuration loader: every error kind one by one (exact text with line:col and key path),
// many errors at once, ${ENV} and X_file expansion, defaults from the platform specs.
#include "config/config_loader.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace csync::config {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Stand-ins for the adapters' specs: what the loader sees of a platform.
std::vector<PlatformSpec> specs() {
    PlatformSpec sunsky;
    sunsky.name = "sunsky";
    sunsky.default_base_url = "https://open.sunsky-online.com";
    sunsky.default_timezone = "Asia/Shanghai";
    sunsky.required_credentials = {"key", "secret"};
    sunsky.streams = {
        StreamSpec{
            "products", 300s, 100, 1000, {OptionSpec{"lookback", OptionType::duration, "", ""}}},
        StreamSpec{"categories", 6h, 0, 0, {}},
        StreamSpec{"orders",
                   600s,
                   100,
                   100,
                   {OptionSpec{"backfill_days", OptionType::integer, "30", ""},
                    OptionSpec{"horizon_days", OptionType::integer, "30", ""},
                    OptionSpec{"recheck_interval", OptionType::duration, "1800000", ""}}},
        StreamSpec{"images",
                   3600s,
                   100,
                   100,
                   {OptionSpec{"size", OptionType::integer, "800", ""},
                    OptionSpec{"folder", OptionType::string, "", ""},
                    OptionSpec{"disk_budget_mb", OptionType::integer, "2048", ""}}},
        StreamSpec{
            "account", 1h, 0, 0, {OptionSpec{"backfill_days", OptionType::integer, "30", ""}}},
        StreamSpec{"countries", 24h, 0, 0, {}}};

    PlatformSpec wdt;
    wdt.name = "wangdiantong";
    wdt.default_base_url = "";  // no default: base_url is required
    wdt.default_timezone = "";  // the loader's own default applies
    wdt.required_credentials = {"sid", "key", "appsecret"};
    wdt.optional_credentials = {"token"};
    wdt.streams = {StreamSpec{"stock",
                              60s,
                              500,
                              2000,
                              {OptionSpec{"calc_batch_size", OptionType::integer, "100", ""},
                               OptionSpec{"fallback", OptionType::boolean, "", ""},
                               OptionSpec{"warehouse", OptionType::string, "", ""},
                               OptionSpec{"pause", OptionType::duration, "", ""}}}};
    wdt.account_options = {OptionSpec{"ack", OptionType::boolean, "true", ""}};
    return {sunsky, wdt};
}

// A minimal valid account, for tests about one other key.
constexpr const char* kSunsky =
    "  - name: sun\n"
    "    platform: sunsky\n"
    "    credentials: { key: k1, secret: s1 }\n";

// The test platforms plus Qianmi and Wshoto as their adapters declare them, for the shipped
// configurations.
std::vector<PlatformSpec> shipped_specs() {
    std::vector<PlatformSpec> out = specs();
    PlatformSpec qianmi;
    qianmi.name = "qianmi";
    qianmi.default_base_url = "https://api.qianmi.com/api";
    qianmi.default_timezone = "Asia/Shanghai";
    qianmi.required_credentials = {"app_key", "app_secret", "access_token", "refresh_token"};
    qianmi.account_options = {OptionSpec{"token_url", OptionType::string, "", ""}};
    qianmi.streams = {StreamSpec{"items",
                                 900s,
                                 50,
                                 50,
                                 {OptionSpec{"skus", OptionType::boolean, "false", ""},
                                  OptionSpec{"order_by", OptionType::string, "cid", ""},
                                  OptionSpec{"num_iids", OptionType::string, "", ""}}}};
    out.push_back(qianmi);
    PlatformSpec wshoto;
    wshoto.name = "wshoto";
    wshoto.default_base_url = "https://open.wshoto.com";
    wshoto.default_timezone = "Asia/Shanghai";
    wshoto.required_credentials = {"appid", "app_secret"};
    // auth_codes: whole numbers, comma-separated (the shipped spec's check, in short).
    const auto codes_only = [](std::string_view v) -> std::optional<std::string> {
        if (v.find_first_not_of("0123456789, ") == std::string_view::npos) return std::nullopt;
        return "`" + std::string(v) + "` is not a list of whole numbers";
    };
    wshoto.account_options = {OptionSpec{"auth_codes", OptionType::string, "", "", codes_only},
                              OptionSpec{"token_min_interval", OptionType::duration, "", ""}};
    wshoto.streams = {StreamSpec{"product_types", 21600s, 100, 100, {}},
                      StreamSpec{"categories", 21600s, 100, 100, {}},
                      StreamSpec{"products", 3600s, 100, 100, {}},
                      StreamSpec{"orders",
                                 300s,
                                 100,
                                 100,
                                 {OptionSpec{"lookback", OptionType::duration, "300000", ""},
                                  OptionSpec{"backfill", OptionType::duration, "2592000000", ""},
                                  OptionSpec{"unit", OptionType::string, "yuan", ""},
                                  OptionSpec{"time_format", OptionType::string, "text", ""}}},
                      StreamSpec{"goods",
                                 3600s,
                                 100,
                                 100,
                                 {OptionSpec{"unit", OptionType::string, "fen", ""}},
                                 /*enabled_by_default=*/false}};
    out.push_back(wshoto);
    return out;
}

Result<Config> parse(const std::string& yaml) { return parse_config(yaml, "c.yaml", specs()); }

std::string errors(const std::string& yaml) {
    auto r = parse(yaml);
    EXPECT_FALSE(r.ok()) << "expected errors for:\n" << yaml;
    if (r.ok()) return {};
    EXPECT_EQ(r.error().kind, ErrorKind::config);
    return r.error().message;
}

Config valid(const std::string& yaml) {
    auto r = parse(yaml);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : Config{};
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("csync-config-test-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path write(const std::string& name, const std::string& content) const {
        std::ofstream(path / name, std::ios::binary) << content;
        return path / name;
    }
};

// ---- a valid configuration --------------------------------------------------------------

TEST(ConfigLoader, FullValidConfiguration) {
    TempDir dir;
    auto ca = dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    auto c = valid(
        "store: { path: /var/lib/x/commerce.db }\n"
        "log: { level: debug, format: json }\n"
        "http: { listen: 0.0.0.0:9000 }\n"
        "accounts:\n"
        "  - name: sunsky-main\n"
        "    platform: sunsky\n"
        "    base_url: https://sunsky.example.com/\n"
        "    timezone: +08:00\n"
        "    credentials: { key: k1, secret: s1 }\n"
        "    rate_limit: { per_second: 2.5, burst: 10 }\n"
        "    tls: { ca_file: " +
        ca.string() +
        ", verify: false }\n"
        "    request_timeout: 1500ms\n"
        "    streams:\n"
        "      products: { interval: 5m, page_size: 250 }\n"
        "      categories: { interval: 6h }\n"
        "  - name: wdt_2\n"
        "    platform: wangdiantong\n"
        "    base_url: http://wdt.wangdian.cn\n"
        "    credentials: { sid: mysid, key: k2, appsecret: \"sec:salt\", token: t }\n"
        "    ack: false\n"
        "    streams:\n"
        "      stock: { interval: 1d, page_size: 2000, calc_batch_size: 50,\n"
        "               fallback: true, warehouse: \"W 1\", pause: 2s }\n");
    EXPECT_EQ(c.source_path, "c.yaml");
    EXPECT_EQ(c.store.path, "/var/lib/x/commerce.db");
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_EQ(c.log.format, "json");
    EXPECT_TRUE(c.http.enabled);
    EXPECT_EQ(c.http.host, "0.0.0.0");
    EXPECT_EQ(c.http.port, 9000);
    ASSERT_EQ(c.accounts.size(), 2u);

    const auto& s = c.accounts[0];
    EXPECT_EQ(s.name, "sunsky-main");
    EXPECT_EQ(s.platform, "sunsky");
    EXPECT_EQ(s.base_url, "https://sunsky.example.com");  // trailing slash dropped
    EXPECT_EQ(s.timezone, "+08:00");
    EXPECT_EQ(s.credentials, (std::map<std::string, std::string>{{"key", "k1"}, {"secret", "s1"}}));
    EXPECT_DOUBLE_EQ(s.rate_limit.per_second, 2.5);
    EXPECT_DOUBLE_EQ(s.rate_limit.burst, 10);
    EXPECT_EQ(s.tls.ca_file, ca.string());
    EXPECT_FALSE(s.tls.verify);
    EXPECT_EQ(s.request_timeout, 1500ms);
    ASSERT_EQ(s.streams.size(), 2u);
    EXPECT_EQ(s.streams[0].name, "products");
    EXPECT_EQ(s.streams[0].interval, 5min);
    EXPECT_EQ(s.streams[0].page_size, 250);
    EXPECT_EQ(s.streams[1].name, "categories");
    EXPECT_EQ(s.streams[1].interval, 6h);
    EXPECT_EQ(s.streams[1].page_size, 0);
    EXPECT_TRUE(s.options.empty());

    const auto& w = c.accounts[1];
    EXPECT_EQ(w.platform, "wangdiantong");
    EXPECT_EQ(w.credentials.at("appsecret"), "sec:salt");
    EXPECT_EQ(w.credentials.at("token"), "t");
    EXPECT_EQ(w.option("ack"), "false");
    ASSERT_EQ(w.streams.size(), 1u);
    EXPECT_EQ(w.streams[0].interval, 24h);
    EXPECT_EQ(w.streams[0].page_size, 2000);
    // Options arrive normalized; a duration in milliseconds.
    EXPECT_EQ(w.streams[0].options, (std::map<std::string, std::string>{{"calc_batch_size", "50"},
                                                                        {"fallback", "true"},
                                                                        {"warehouse", "W 1"},
                                                                        {"pause", "2000"}}));
}

TEST(ConfigLoader, DefaultsComeFromTheLoaderAndThePlatformSpec) {
    auto c = valid("accounts:\n" + std::string(kSunsky) +
                   "  - name: w\n"
                   "    platform: wangdiantong\n"
                   "    base_url: http://wdt.example\n"
                   "    credentials: { sid: a, key: b, appsecret: c }\n"
                   "    streams: { stock: {} }\n");
    EXPECT_EQ(c.store.path, "/var/lib/commerce-syncd/commerce.db");
    EXPECT_EQ(c.log.level, "info");
    EXPECT_EQ(c.log.format, "text");
    EXPECT_EQ(c.http.host, "127.0.0.1");
    EXPECT_EQ(c.http.port, 9464);
    EXPECT_TRUE(c.http.enabled);

    const auto& s = c.accounts[0];
    EXPECT_EQ(s.base_url, "https://open.sunsky-online.com");
    EXPECT_EQ(s.timezone, "Asia/Shanghai");
    EXPECT_DOUBLE_EQ(s.rate_limit.per_second, 5);
    EXPECT_DOUBLE_EQ(s.rate_limit.burst, 10);
    EXPECT_FALSE(s.tls.ca_file.has_value());
    EXPECT_TRUE(s.tls.verify);
    EXPECT_EQ(s.request_timeout, 60s);
    // No streams key: every stream of the platform, with the spec's defaults, in spec order.
    ASSERT_EQ(s.streams.size(), 6u);
    EXPECT_EQ(s.streams[0].name, "products");
    EXPECT_EQ(s.streams[0].interval, 300s);
    EXPECT_EQ(s.streams[0].page_size, 100);
    EXPECT_EQ(s.streams[1].name, "categories");
    EXPECT_EQ(s.streams[1].interval, 6h);

    const auto& w = c.accounts[1];
    EXPECT_EQ(w.timezone, "Asia/Shanghai");  // the spec has none: the loader's default
    EXPECT_EQ(w.option("ack"), "true");      // account option default
    ASSERT_EQ(w.streams.size(), 1u);
    EXPECT_EQ(w.streams[0].interval, 60s);
    EXPECT_EQ(w.streams[0].page_size, 500);
    EXPECT_EQ(w.streams[0].options,
              (std::map<std::string, std::string>{{"calc_batch_size", "100"}}));
}

TEST(ConfigLoader, OnlyTheListedStreamsRunAndEmptyStreamValuesTakeTheDefaults) {
    auto c = valid(
        "accounts:\n"
        "  - name: sun\n"
        "    platform: sunsky\n"
        "    credentials: { key: k1, secret: s1 }\n"
        "    streams:\n"
        "      categories:\n");
    ASSERT_EQ(c.accounts[0].streams.size(), 1u);
    EXPECT_EQ(c.accounts[0].streams[0].name, "categories");
    EXPECT_EQ(c.accounts[0].streams[0].interval, 6h);
    EXPECT_EQ(c.accounts[0].find_stream("products"), nullptr);
}

TEST(ConfigLoader, RelativeStorePathIsKeptAsGiven) {
    auto c = valid("store: { path: data/demo.db }\naccounts:\n" + std::string(kSunsky));
    EXPECT_EQ(c.store.path, "data/demo.db");
}

TEST(ConfigLoader, ThePostgresStoreTakesADsnOrADsnFileAndTheDsnIsASecret) {
    EXPECT_EQ(valid("accounts:\n" + std::string(kSunsky)).store.backend, "sqlite");
    ::setenv("CSYNC_TEST_DSN", "postgresql://sync:pw@db/csync", 1);
    auto c = valid("store: { backend: postgres, dsn: \"${CSYNC_TEST_DSN}\" }\naccounts:\n" +
                   std::string(kSunsky));
    EXPECT_EQ(c.store.backend, "postgres");
    EXPECT_EQ(c.store.dsn, "postgresql://sync:pw@db/csync");
    const auto secrets = secret_values(c);
    EXPECT_NE(std::find(secrets.begin(), secrets.end(), c.store.dsn), secrets.end());

    TempDir dir;
    const fs::path file = dir.path / "dsn";
    std::ofstream(file) << "host=db user=sync password=pw\n";
    c = valid("store: { backend: postgres, dsn_file: " + file.string() + " }\naccounts:\n" +
              std::string(kSunsky));
    EXPECT_EQ(c.store.dsn, "host=db user=sync password=pw");

    EXPECT_EQ(errors("store: { backend: postgres }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:8: store.dsn: missing: store.backend postgres needs dsn or dsn_file (a "
              "PostgreSQL connection string, e.g. postgresql://user@host/db)");
    const std::string both =
        errors("store: { backend: postgres, dsn: x, dsn_file: " + file.string() +
               " }\naccounts:\n" + std::string(kSunsky));
    EXPECT_NE(both.find("store.dsn_file: given together with store.dsn"), std::string::npos)
        << both;
    EXPECT_EQ(both.find("password=pw"), std::string::npos);  // never quoted
    EXPECT_EQ(errors("store: { backend: mysql }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:19: store.backend: unknown backend 'mysql' (expected sqlite or postgres)");
    EXPECT_EQ(errors("store: { dsn: x }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:10: store.dsn: only used with store.backend: postgres (the backend is "
              "sqlite)");
}

// ---- retention --------------------------------------------------------------------------

TEST(ConfigLoader, RetentionDefaultsAndValues) {
    using namespace std::chrono_literals;
    auto d = valid("accounts:\n" + std::string(kSunsky)).retention;
    EXPECT_EQ(d.runs, std::chrono::hours(24 * 30));
    EXPECT_EQ(d.changes, std::chrono::hours(24 * 90));
    auto r = valid("retention: { runs: 7d, changes: 12h }\naccounts:\n" + std::string(kSunsky));
    EXPECT_EQ(r.retention.runs, std::chrono::hours(24 * 7));
    EXPECT_EQ(r.retention.changes, 12h);
    const std::string bad = errors("retention: { runs: soon, changes: 0d, keep: 1d }\naccounts:\n" +
                                   std::string(kSunsky));
    EXPECT_NE(bad.find("c.yaml:1:20: retention.runs: invalid duration 'soon'"), std::string::npos)
        << bad;
    EXPECT_NE(bad.find("retention.changes: must be longer than zero, got '0d'"), std::string::npos)
        << bad;
    EXPECT_NE(bad.find("retention.keep"), std::string::npos) << bad;
}

// ---- listen -----------------------------------------------------------------------------

TEST(ConfigLoader, ListenAddresses) {
    auto listen = [](const std::string& v) {
        return valid("http: { listen: \"" + v + "\" }\naccounts:\n" + kSunsky).http;
    };
    auto a = listen("127.0.0.1:0");
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 0);
    EXPECT_TRUE(a.enabled);
    auto b = listen("[::1]:65535");
    EXPECT_EQ(b.host, "::1");
    EXPECT_EQ(b.port, 65535);
    auto h = listen("localhost:9464");
    EXPECT_EQ(h.host, "localhost");
    EXPECT_FALSE(listen("off").enabled);
    // Unquoted off is a plain scalar too.
    EXPECT_FALSE(valid("http: { listen: off }\naccounts:\n" + std::string(kSunsky)).http.enabled);
}

TEST(ConfigLoader, BadListenAddresses) {
    const std::string expected =
        "expected HOST:PORT (such as 127.0.0.1:9464 or [::1]:9464, port 0 to 65535) or off";
    for (const char* bad :
         {"127.0.0.1", "127.0.0.1:65536", ":9464", "127.0.0.1:x", "[::1]", "[]:80", "127.0.0.1:"}) {
        EXPECT_EQ(errors("http: { listen: \"" + std::string(bad) + "\" }\naccounts:\n" + kSunsky),
                  "c.yaml:1:17: http.listen: invalid listen address '" + std::string(bad) +
                      "': " + expected)
            << bad;
    }
    EXPECT_EQ(errors("http: { listen: \"::1:80\" }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:17: http.listen: invalid listen address '::1:80': an IPv6 address needs "
              "brackets, such as [::1]:9464");
    EXPECT_EQ(
        errors("http:\n  listen: [::1]\naccounts:\n" + std::string(kSunsky)),
        "c.yaml:2:11: http.listen: got a list: quote an IPv6 address, such as \"[::1]:9464\"");
}

// ---- durations --------------------------------------------------------------------------

TEST(ConfigLoader, ParseDuration) {
    EXPECT_EQ(parse_duration("500ms"), 500ms);
    EXPECT_EQ(parse_duration("30s"), 30s);
    EXPECT_EQ(parse_duration("5m"), 5min);
    EXPECT_EQ(parse_duration("6h"), 6h);
    EXPECT_EQ(parse_duration("1d"), 24h);
    for (const char* bad : {"", "0s", "5", "s", "5 m", " 5m", "5m ", "1.5h", "-1s", "5M", "1h30m",
                            "5parsecs", "99999999999999999999999s", "3651d"}) {
        EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
    }
}

std::string interval_error(const std::string& value) {
    return errors(
        "accounts:\n"
        "  - name: sun\n"
        "    platform: sunsky\n"
        "    credentials: { key: k1, secret: s1 }\n"
        "    streams:\n"
        "      products: { interval: " +
        value + " }\n");
}

TEST(ConfigLoader, BadDurations) {
    EXPECT_EQ(interval_error("5 parsecs"),
              "c.yaml:6:29: accounts[0].streams.products.interval: invalid duration '5 parsecs': "
              "expected a whole number and a unit (ms, s, m, h, d), such as 30s, 5m, 6h or 1d");
    EXPECT_EQ(interval_error("0s"),
              "c.yaml:6:29: accounts[0].streams.products.interval: must be longer than zero, got "
              "'0s'");
    EXPECT_EQ(interval_error("1500ms"),
              "c.yaml:6:29: accounts[0].streams.products.interval: must be a whole number of "
              "seconds (s, m, h or d), got '1500ms'");
    EXPECT_EQ(interval_error("4000d"),
              "c.yaml:6:29: accounts[0].streams.products.interval: duration '4000d' is too long "
              "(at most 3650d)");
    EXPECT_EQ(interval_error("{ a: 1 }"),
              "c.yaml:6:29: accounts[0].streams.products.interval: expected a duration, got a "
              "mapping");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    request_timeout: 0ms\n"),
              "c.yaml:5:22: accounts[0].request_timeout: must be longer than zero, got '0ms'");
    // Whole seconds given in ms are fine for an interval.
    auto c = valid("accounts:\n" + std::string(kSunsky) +
                   "    streams: { products: { interval: 2000ms } }\n");
    EXPECT_EQ(c.accounts[0].streams[0].interval, 2s);
}

// ---- errors one by one ------------------------------------------------------------------

TEST(ConfigLoader, YamlSyntaxErrorWithPosition) {
    EXPECT_EQ(errors("store: { path: x.db\naccounts: []\n"),
              "c.yaml:2:9: invalid YAML: end of map flow not found");
    EXPECT_EQ(errors("accounts:\n  - name: a\n   platform: b\n"),
              "c.yaml:3:4: invalid YAML: end of sequence not found");
}

TEST(ConfigLoader, EmptyOrNonMappingDocument) {
    EXPECT_EQ(errors(""),
              "c.yaml:1:1: the configuration is empty (it needs at least store and accounts)");
    EXPECT_EQ(
        errors("- a\n- b\n"),
        "c.yaml:1:1: expected a mapping with store, log, http, retention and accounts, got a list");
}

TEST(ConfigLoader, UnknownKeysAnywhere) {
    EXPECT_EQ(errors("stroe: { path: x }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:1: stroe: unknown key (expected one of: store, log, http, retention, "
              "replicas, accounts)");
    EXPECT_EQ(
        errors("store: { path: x, mode: 600 }\naccounts:\n" + std::string(kSunsky)),
        "c.yaml:1:19: store.mode: unknown key (expected one of: backend, path, dsn, dsn_file)");
    EXPECT_EQ(errors("log: { levle: info }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:8: log.levle: unknown key (expected one of: level, format)");
    EXPECT_EQ(errors("http: { port: 1 }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:9: http.port: unknown key (expected one of: listen)");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    colour: blue\n"),
              "c.yaml:5:5: accounts[0].colour: unknown key (expected one of: name, platform, "
              "base_url, timezone, credentials, rate_limit, tls, request_timeout, streams, link)");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) +
                     "    rate_limit: { per_second: 1, brust: 2 }\n"),
              "c.yaml:5:34: accounts[0].rate_limit.brust: unknown key (expected one of: "
              "per_second, burst)");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    tls: { verfy: true }\n"),
              "c.yaml:5:12: accounts[0].tls.verfy: unknown key (expected one of: ca_file, verify)");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) +
                     "    streams: { products: { page_sise: 5 } }\n"),
              "c.yaml:5:28: accounts[0].streams.products.page_sise: unknown key (expected one of: "
              "interval, page_size, lookback)");
    // A platform's own account options are keys of that platform only.
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    ack: true\n"),
              "c.yaml:5:5: accounts[0].ack: unknown key (expected one of: name, platform, "
              "base_url, timezone, credentials, rate_limit, tls, request_timeout, streams, link)");
}

TEST(ConfigLoader, DuplicateKeys) {
    EXPECT_EQ(errors("log: { level: info, level: debug }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:21: log.level: duplicate key");
}

TEST(ConfigLoader, WrongTypes) {
    EXPECT_EQ(errors("store: /x.db\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:8: store: expected a mapping, got a scalar");
    EXPECT_EQ(errors("store: { path: { a: b } }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:16: store.path: expected a string, got a mapping");
    EXPECT_EQ(errors("store: { path: }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:10: store.path: expected a string, got nothing (null)");
    EXPECT_EQ(errors("accounts: { name: a }\n"),
              "c.yaml:1:11: accounts: expected a list of accounts, got a mapping");
    EXPECT_EQ(errors("accounts:\n  - just-a-name\n"),
              "c.yaml:2:5: accounts[0]: expected an account (a mapping), got a scalar");
    EXPECT_EQ(
        errors("accounts:\n" + std::string(kSunsky) + "    rate_limit: { per_second: fast }\n"),
        "c.yaml:5:31: accounts[0].rate_limit.per_second: expected a number, got 'fast'");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    tls: { verify: yes please }\n"),
              "c.yaml:5:20: accounts[0].tls.verify: expected true or false, got 'yes please'");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) +
                     "    streams: { products: { page_size: [1] } }\n"),
              "c.yaml:5:39: accounts[0].streams.products.page_size: expected a whole number, got "
              "a list");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) +
                     "    streams: { products: { page_size: 1.5 } }\n"),
              "c.yaml:5:39: accounts[0].streams.products.page_size: expected a whole number, got "
              "'1.5'");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    streams: [products]\n"),
              "c.yaml:5:14: accounts[0].streams: expected a mapping of stream names, got a list");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    streams: { products: 5m }\n"),
              "c.yaml:5:26: accounts[0].streams.products: expected a mapping (or {} for the "
              "defaults), got a scalar");
}

TEST(ConfigLoader, BadValues) {
    EXPECT_EQ(errors("log: { level: verbose }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:15: log.level: unknown level 'verbose' (expected one of: trace, debug, "
              "info, warn, error, critical, off)");
    EXPECT_EQ(errors("log: { format: xml }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:16: log.format: unknown format 'xml' (expected text or json)");
    EXPECT_EQ(errors("store: { path: \"\" }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:16: store.path: must not be empty");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    rate_limit: { per_second: 0 }\n"),
              "c.yaml:5:31: accounts[0].rate_limit.per_second: must be greater than zero, got 0");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    rate_limit: { burst: 0.5 }\n"),
              "c.yaml:5:26: accounts[0].rate_limit.burst: must be at least 1 (each request takes "
              "one token)");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    timezone: Mars/Olympus\n"),
              "c.yaml:5:15: accounts[0].timezone: unknown time zone 'Mars/Olympus': use an IANA "
              "name such as Asia/Shanghai or a fixed offset such as +08:00");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    base_url: ftp://x\n"),
              "c.yaml:5:15: accounts[0].base_url: invalid base_url 'ftp://x': expected "
              "http://HOST[:PORT][/PATH] or https://...");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    base_url: \"https://\"\n"),
              "c.yaml:5:15: accounts[0].base_url: invalid base_url 'https://': expected "
              "http://HOST[:PORT][/PATH] or https://...");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) +
                     "    streams: { products: { page_size: 1001 } }\n"),
              "c.yaml:5:39: accounts[0].streams.products.page_size: must be between 1 and 1000, "
              "got 1001");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) +
                     "    streams: { products: { page_size: 0 } }\n"),
              "c.yaml:5:39: accounts[0].streams.products.page_size: must be between 1 and 1000, "
              "got 0");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) +
                     "    streams: { categories: { page_size: 10 } }\n"),
              "c.yaml:5:30: accounts[0].streams.categories.page_size: the categories stream has "
              "no page size");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) +
                     "    tls: { ca_file: /nonexistent/ca.pem }\n"),
              "c.yaml:5:21: accounts[0].tls.ca_file: cannot read /nonexistent/ca.pem: No such "
              "file or directory");
    EXPECT_EQ(errors("accounts: []\n"), "c.yaml:1:11: accounts: must list at least one account");
    EXPECT_EQ(errors("log: { level: info }\n"),
              "c.yaml:1:1: accounts: missing (at least one account is needed)");
}

TEST(ConfigLoader, AccountNamePlatformAndStreams) {
    EXPECT_EQ(errors("accounts:\n  - name: Bad Name\n    platform: sunsky\n"
                     "    credentials: { key: k1, secret: s1 }\n"),
              "c.yaml:2:11: accounts[0].name: invalid account name 'Bad Name': use lower-case "
              "letters, digits, '_' and '-' only");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + kSunsky),
              "c.yaml:5:11: accounts[1].name: duplicate account name 'sun' (also accounts[0])");
    EXPECT_EQ(errors("accounts:\n  - name: x\n    platform: nosuch\n    credentials: { a: b }\n"
                     "    streams: { whatever: {} }\n    ack: true\n"),
              "c.yaml:3:15: accounts[0].platform: unknown platform 'nosuch' (expected one of: "
              "sunsky, wangdiantong)");
    EXPECT_EQ(errors("accounts:\n  - name: x\n    credentials: { key: k1, secret: s1 }\n"),
              "c.yaml:2:5: accounts[0].platform: missing (expected one of: sunsky, wangdiantong)");
    EXPECT_EQ(errors("accounts:\n  - platform: sunsky\n    credentials: { key: k1, secret: s1 }\n"),
              "c.yaml:2:5: accounts[0].name: missing");
    EXPECT_EQ(errors("accounts:\n  - name: w\n    platform: wangdiantong\n"
                     "    credentials: { sid: a, key: b, appsecret: c }\n"),
              "c.yaml:2:5: accounts[0].base_url: missing (wangdiantong has no default)");
    EXPECT_EQ(errors("accounts:\n" + std::string(kSunsky) + "    streams: { invoices: {} }\n"),
              "c.yaml:5:16: accounts[0].streams.invoices: unknown stream (sunsky has: products, "
              "categories, orders, images, account, countries)");
    EXPECT_EQ(errors("accounts:\n  - name: w\n    platform: wangdiantong\n    base_url: http://w\n"
                     "    credentials: { sid: a, key: b, appsecret: c }\n    ack: maybe\n"
                     "    streams: { stock: { calc_batch_size: many, fallback: 1, pause: 0s } }\n"),
              "c.yaml:6:10: accounts[0].ack: expected true or false, got 'maybe'\n"
              "c.yaml:7:42: accounts[0].streams.stock.calc_batch_size: expected a whole number, "
              "got 'many'\n"
              "c.yaml:7:58: accounts[0].streams.stock.fallback: expected true or false, got '1'\n"
              "c.yaml:7:68: accounts[0].streams.stock.pause: must be longer than zero, got '0s'");
}

TEST(ConfigLoader, ACredentialFileThatNeverEndsIsRefusedNotRead) {
    // /dev/zero stands for any path that is not a credential: reading it whole would never end.
    const std::string message = errors(
        "accounts:\n  - name: sun\n    platform: sunsky\n"
        "    credentials: { key: k1, secret_file: /dev/zero }\n");
    EXPECT_NE(message.find("accounts[0].credentials.secret_file: cannot read /dev/zero: larger "
                           "than 64 KiB"),
              std::string::npos)
        << message;
}

TEST(ConfigLoader, CredentialErrors) {
    auto with_creds = [](const std::string& creds) {
        return errors("accounts:\n  - name: sun\n    platform: sunsky\n    credentials: " + creds +
                      "\n");
    };
    EXPECT_EQ(with_creds("{ key: k1 }"),
              "c.yaml:4:18: accounts[0].credentials.secret: missing (give secret or secret_file)");
    EXPECT_EQ(with_creds("{ key: k1, secret: s1, password: hunter2 }"),
              "c.yaml:4:41: accounts[0].credentials.password: unknown credential (sunsky takes: "
              "key, secret; any of them may be given as NAME_file: PATH)");
    EXPECT_EQ(with_creds("{ key: k1, secret: s1, secret_file: /x }"),
              "c.yaml:4:41: accounts[0].credentials.secret_file: given twice (also as secret): "
              "use secret or secret_file, not both");
    EXPECT_EQ(with_creds("{ key: k1, secret: \"\" }"),
              "c.yaml:4:37: accounts[0].credentials.secret: must not be empty");
    EXPECT_EQ(with_creds("{ key: k1, secret: [a] }"),
              "c.yaml:4:37: accounts[0].credentials.secret: expected a string, got a list");
    EXPECT_EQ(with_creds("{ key: k1, secret_file: /nonexistent/secret }"),
              "c.yaml:4:42: accounts[0].credentials.secret_file: cannot read /nonexistent/secret: "
              "No such file or directory");
    EXPECT_EQ(with_creds("k1"),
              "c.yaml:4:18: accounts[0].credentials: expected a mapping, got a scalar");
    EXPECT_EQ(errors("accounts:\n  - name: sun\n    platform: sunsky\n"),
              "c.yaml:2:5: accounts[0].credentials: missing (sunsky needs key, secret)");
}

TEST(ConfigLoader, SecretsNeverAppearInMessages) {
    TempDir dir;
    auto empty = dir.write("empty", "\n");
    ::setenv("CSYNC_TEST_SECRET_X", "envsecret-1", 1);
    auto message = errors(
        "accounts:\n"
        "  - name: sun\n"
        "    platform: sunsky\n"
        "    credentials: { key: topsecret-2, secret: topsecret-2, "
        "tokn: topsecret-3 }\n"
        "  - name: sun\n"
        "    platform: sunsky\n"
        "    credentials: { key: \"${CSYNC_TEST_SECRET_X}\", secret_file: " +
        empty.string() +
        ", salt: \"${CSYNC_TEST_SECRET_X}\" }\n"
        "    rate_limit: { per_second: -1 }\n");
    EXPECT_NE(message.find("accounts[0].credentials.tokn: unknown credential"), std::string::npos);
    EXPECT_NE(
        message.find("accounts[1].credentials.secret_file: file " + empty.string() + " is empty"),
        std::string::npos);
    for (const char* secret : {"topsecret", "envsecret"}) {
        EXPECT_EQ(message.find(secret), std::string::npos) << secret << " in:\n" << message;
    }
    ::unsetenv("CSYNC_TEST_SECRET_X");
}

// ---- many errors at once ----------------------------------------------------------------

TEST(ConfigLoader, EveryProblemIsReportedAtOnceInFileOrder) {
    // The end-to-end test's file, plus more.
    EXPECT_EQ(errors("store: { path: x.db }\n"
                     "accounts:\n"
                     "  - name: Bad Name\n"
                     "    platform: sunsky\n"
                     "    credentials: { key: k }\n"
                     "    streams:\n"
                     "      products: { interval: 5 parsecs }\n"
                     "    colour: blue\n"
                     "  - name: other\n"
                     "    platform: nosuch\n"
                     "log: { level: loud }\n"),
              "c.yaml:3:11: accounts[0].name: invalid account name 'Bad Name': use lower-case "
              "letters, digits, '_' and '-' only\n"
              "c.yaml:5:18: accounts[0].credentials.secret: missing (give secret or secret_file)\n"
              "c.yaml:7:29: accounts[0].streams.products.interval: invalid duration '5 parsecs': "
              "expected a whole number and a unit (ms, s, m, h, d), such as 30s, 5m, 6h or 1d\n"
              "c.yaml:8:5: accounts[0].colour: unknown key (expected one of: name, platform, "
              "base_url, timezone, credentials, rate_limit, tls, request_timeout, streams, link)\n"
              "c.yaml:10:15: accounts[1].platform: unknown platform 'nosuch' (expected one of: "
              "sunsky, wangdiantong)\n"
              "c.yaml:11:15: log.level: unknown level 'loud' (expected one of: trace, debug, info, "
              "warn, error, critical, off)");
}

// ---- expansion --------------------------------------------------------------------------

TEST(ConfigLoader, EnvironmentVariablesExpandInAnyString) {
    ::setenv("CSYNC_TEST_KEY", "the-key", 1);
    ::setenv("CSYNC_TEST_DIR", "/srv/db", 1);
    ::setenv("CSYNC_TEST_PAGE", "250", 1);
    ::setenv("CSYNC_TEST_EMPTY", "", 1);
    auto c = valid(
        "store: { path: \"${CSYNC_TEST_DIR}/x.db\" }\n"
        "accounts:\n"
        "  - name: sun\n"
        "    platform: sunsky\n"
        "    credentials: { key: \"${CSYNC_TEST_KEY}\", secret: \"a$${b}${CSYNC_TEST_EMPTY}$c\" }\n"
        "    streams: { products: { page_size: \"${CSYNC_TEST_PAGE}\" } }\n");
    EXPECT_EQ(c.store.path, "/srv/db/x.db");
    EXPECT_EQ(c.accounts[0].credentials.at("key"), "the-key");
    EXPECT_EQ(c.accounts[0].credentials.at("secret"), "a${b}$c");
    EXPECT_EQ(c.accounts[0].streams[0].page_size, 250);
    for (const char* v :
         {"CSYNC_TEST_KEY", "CSYNC_TEST_DIR", "CSYNC_TEST_PAGE", "CSYNC_TEST_EMPTY"}) {
        ::unsetenv(v);
    }
}

TEST(ConfigLoader, EnvironmentVariableErrors) {
    ::unsetenv("CSYNC_TEST_UNSET");
    EXPECT_EQ(
        errors("store: { path: \"${CSYNC_TEST_UNSET}\" }\naccounts:\n" + std::string(kSunsky)),
        "c.yaml:1:16: store.path: environment variable CSYNC_TEST_UNSET is not set");
    EXPECT_EQ(errors("store: { path: \"${CSYNC_TEST_UNSET\" }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:16: store.path: unterminated ${ (write $${ for a literal ${)");
    EXPECT_EQ(errors("store: { path: \"${1A}\" }\naccounts:\n" + std::string(kSunsky)),
              "c.yaml:1:16: store.path: invalid environment variable reference (use ${NAME} with "
              "letters, digits and _)");
    EXPECT_EQ(errors("accounts:\n  - name: sun\n    platform: sunsky\n"
                     "    credentials: { key: \"${CSYNC_TEST_UNSET}\", secret: s1 }\n"),
              "c.yaml:4:25: accounts[0].credentials.key: environment variable CSYNC_TEST_UNSET is "
              "not set");
}

TEST(ConfigLoader, FileCredentialsLoseExactlyOneTrailingNewline) {
    TempDir dir;
    auto one = dir.write("one", "s3cret\n");
    auto two = dir.write("two", "k3y\n\n");
    auto crlf = dir.write("crlf", "win\r\n");
    auto none = dir.write("none", "plain");
    ::setenv("CSYNC_TEST_CRED_DIR", dir.path.c_str(), 1);
    auto c = valid(
        "accounts:\n"
        "  - name: sun\n"
        "    platform: sunsky\n"
        "    credentials: { key_file: " +
        two.string() +
        ", secret_file: \"${CSYNC_TEST_CRED_DIR}/one\" }\n"
        "  - name: w\n"
        "    platform: wangdiantong\n"
        "    base_url: http://w\n"
        "    credentials: { sid_file: " +
        crlf.string() + ", key_file: " + none.string() + ", appsecret: x }\n");
    EXPECT_EQ(c.accounts[0].credentials.at("secret"), "s3cret");
    EXPECT_EQ(c.accounts[0].credentials.at("key"), "k3y\n");
    EXPECT_EQ(c.accounts[1].credentials.at("sid"), "win");
    EXPECT_EQ(c.accounts[1].credentials.at("key"), "plain");
    EXPECT_EQ(c.accounts[0].credentials.count("secret_file"), 0u);
    ::unsetenv("CSYNC_TEST_CRED_DIR");

    EXPECT_EQ(errors("accounts:\n  - name: sun\n    platform: sunsky\n"
                     "    credentials: { key: k, secret_file: " +
                     dir.path.string() + " }\n"),
              "c.yaml:4:41: accounts[0].credentials.secret_file: cannot read " + dir.path.string() +
                  ": it is a directory");
}

TEST(ConfigLoader, SecretValuesListsEveryResolvedCredentialOnce) {
    auto c = valid("accounts:\n" + std::string(kSunsky) +
                   "  - name: w\n    platform: wangdiantong\n    base_url: http://w\n"
                   "    credentials: { sid: s1, key: k2, appsecret: \"a:b\" }\n");
    auto secrets = secret_values(c);
    std::sort(secrets.begin(), secrets.end());
    EXPECT_EQ(secrets, (std::vector<std::string>{"a:b", "k1", "k2", "s1"}));
}

// ---- files ------------------------------------------------------------------------------

TEST(ConfigLoader, LoadConfigReadsTheFileAndNamesItInMessages) {
    TempDir dir;
    auto good = dir.write("good.yaml", "accounts:\n" + std::string(kSunsky));
    auto c = load_config(good.string(), specs());
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->source_path, good.string());

    auto bad = dir.write("bad.yaml", "accounts:\n" + std::string(kSunsky) + "    colour: blue\n");
    auto b = load_config(bad.string(), specs());
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().message.rfind(bad.string() + ":5:5: accounts[0].colour: unknown key", 0),
              0u)
        << b.error().message;

    auto missing = load_config((dir.path / "nope.yaml").string(), specs());
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::config);
    EXPECT_EQ(missing.error().message, (dir.path / "nope.yaml").string() +
                                           ": cannot read the configuration file: No such file or "
                                           "directory");
}

TEST(ConfigLoader, LoadConfigRefusesADirectory) {
    TempDir dir;
    auto r = load_config(dir.path.string(), specs());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message,
              dir.path.string() + ": cannot read the configuration file: it is a directory");
}

TEST(ConfigLoader, AnEmptyValueIsReportedAtItsKey) {
    auto message = errors("accounts:\n" + std::string(kSunsky) + "    base_url:\n");
    EXPECT_EQ(message, "c.yaml:5:5: accounts[0].base_url: expected a string, got nothing (null)");
    EXPECT_EQ(errors("accounts:\n  -\n"),
              "c.yaml:2:3: accounts[0]: expected an account (a mapping), got nothing (null)");
}

TEST(ConfigLoader, ShippedExampleIsValidAgainstTheseSpecs) {
    // The real adapters' specs are checked by the check-config end-to-end test; this catches
    // syntax and shape mistakes in the example early.
    auto c = load_config(std::string(CSYNC_SOURCE_DIR) + "/config/commerce-syncd.example.yaml",
                         shipped_specs());
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->accounts.size(), 3u);
}

TEST(ConfigLoader, AnOptionsOwnCheckRejectsABadValueNamingItsKey) {
    const std::string account =
        "accounts:\n"
        "  - name: ws\n"
        "    platform: wshoto\n"
        "    credentials: { appid: a, app_secret: s }\n";
    auto bad =
        parse_config(account + "    auth_codes: \"10001, token\"\n", "c.yaml", shipped_specs());
    ASSERT_FALSE(bad.ok());
    const std::string e = bad.error().message;
    EXPECT_NE(e.find("accounts[0].auth_codes"), std::string::npos) << e;
    EXPECT_NE(e.find("`10001, token` is not a list of whole numbers"), std::string::npos) << e;
    EXPECT_EQ(
        parse_config(account + "    auth_codes: \"10001, 10010\"\n", "c.yaml", shipped_specs())
            .value()
            .accounts.at(0)
            .options.at("auth_codes"),
        "10001, 10010");
}

TEST(ConfigLoader, AStreamOffByDefaultRunsOnlyWhenListed) {
    const std::string account =
        "accounts:\n"
        "  - name: ws\n"
        "    platform: wshoto\n"
        "    credentials: { appid: a, app_secret: s }\n";
    const Config defaults = parse_config(account, "c.yaml", shipped_specs()).value();
    std::vector<std::string> names;
    for (const auto& s : defaults.accounts.at(0).streams) names.push_back(s.name);
    EXPECT_EQ(names,
              (std::vector<std::string>{"product_types", "categories", "products", "orders"}));
    const auto listed = parse_config(account + "    streams: { goods: { unit: yuan } }\n", "c.yaml",
                                     shipped_specs())
                            .value();
    ASSERT_EQ(listed.accounts.at(0).streams.size(), 1u);
    EXPECT_EQ(listed.accounts.at(0).streams.at(0).name, "goods");
    EXPECT_EQ(listed.accounts.at(0).streams.at(0).options.at("unit"), "yuan");
}

TEST(ConfigLoader, DemoConfigurationIsValidAgainstTheseSpecs) {
    // As scripts/demo and the check-config end-to-end test set them.
    ::setenv("DEMO_SUNSKY_URL", "http://127.0.0.1:1", 1);
    ::setenv("DEMO_SUNSKY_SECRET", "s", 1);
    ::setenv("DEMO_WDT_URL", "http://127.0.0.1:2", 1);
    ::setenv("DEMO_WDT_APPSECRET", "a:b", 1);
    ::setenv("DEMO_QIANMI_URL", "http://127.0.0.1:3", 1);
    ::setenv("DEMO_QIANMI_SECRET", "q", 1);
    ::setenv("DEMO_WSHOTO_URL", "http://127.0.0.1:4", 1);
    ::setenv("DEMO_WSHOTO_SECRET", "w", 1);
    auto c = load_config(std::string(CSYNC_SOURCE_DIR) + "/config/demo.yaml", shipped_specs());
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->store.path, "data/demo.db");
    EXPECT_EQ(c->accounts.at(0).base_url, "http://127.0.0.1:1");
    EXPECT_EQ(c->accounts.at(1).credentials.at("appsecret"), "a:b");
    EXPECT_EQ(c->accounts.at(2).base_url, "http://127.0.0.1:3/api");
    for (const char* v :
         {"DEMO_SUNSKY_URL", "DEMO_SUNSKY_SECRET", "DEMO_WDT_URL", "DEMO_WDT_APPSECRET",
          "DEMO_QIANMI_URL", "DEMO_QIANMI_SECRET", "DEMO_WSHOTO_URL", "DEMO_WSHOTO_SECRET"}) {
        ::unsetenv(v);
    }
}

}  // namespace
}  // namespace csync::config

namespace csync::config {
namespace {

constexpr const char* kWdt =
    "  - name: erp\n"
    "    platform: wangdiantong\n"
    "    base_url: http://wdt.example\n"
    "    credentials: { sid: s, key: k, appsecret: a }\n";

TEST(ConfigLoaderLink, StockFromNamesTheErpAccount) {
    auto r = parse(std::string("accounts:\n") + kSunsky + "    link: { stock_from: erp }\n" + kWdt);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->accounts[0].stock_from, "erp");
    EXPECT_EQ(r->accounts[1].stock_from, std::nullopt);
}

TEST(ConfigLoaderLink, UnknownSelfOrStocklessTargetsAreErrorsAtTheValue) {
    EXPECT_EQ(errors(std::string("accounts:\n") + kSunsky + "    link: { stock_from: nope }\n"),
              "c.yaml:5:25: accounts[0].link.stock_from: no account named 'nope'");
    EXPECT_EQ(errors(std::string("accounts:\n") + kSunsky + "    link: { stock_from: sun }\n"),
              "c.yaml:5:25: accounts[0].link.stock_from: an account cannot take stock from itself");
    EXPECT_EQ(
        errors(std::string("accounts:\n") + kWdt + "    link: { stock_from: sun }\n" + kSunsky),
        "c.yaml:6:25: accounts[0].link.stock_from: account 'sun' is on sunsky, which has "
        "no stock stream (link to an ERP account)");
}

TEST(ConfigLoaderLink, MalformedLinksAreErrors) {
    EXPECT_EQ(errors(std::string("accounts:\n") + kSunsky + "    link: { stock: erp }\n" + kWdt),
              "c.yaml:5:11: accounts[0].link.stock_from: missing\n"
              "c.yaml:5:13: accounts[0].link.stock: unknown key (expected one of: stock_from)");
}

}  // namespace
}  // namespace csync::config
