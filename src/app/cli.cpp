#include "app/cli.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string_view>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "app/account_client.hpp"
#include "app/daemon.hpp"
#include "app/dry_run.hpp"
#include "app/healthcheck.hpp"
#include "app/status_endpoint.hpp"
#include "config/config_loader.hpp"
#include "core/system_clock.hpp"
#include "log/log.hpp"
#include "net/beast_http_client.hpp"
#include "registry.hpp"
#include "replica/lease_report.hpp"
#include "replica/pg_lease_table.hpp"
#include "store/postgres/configured_store.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace csync::app {
namespace {

std::string default_config_path() {
    if (const char* env = std::getenv("COMMERCE_SYNCD_CONFIG"); env && *env) return env;
    return "/etc/commerce-syncd/commerce-syncd.yaml";
}

// Loads and validates the configuration; prints every problem and returns nullopt when invalid.
std::optional<Config> load_or_report(const std::string& path) {
    auto loaded = config::load_config(path, platform_specs());
    if (!loaded.ok()) {
        std::cerr << "commerce-syncd: invalid configuration:\n" << loaded.error().message << '\n';
        return std::nullopt;
    }
    log::init({loaded->log.level, loaded->log.format});
    for (const auto& secret : config::secret_values(*loaded)) log::add_secret(secret);
    return std::move(loaded.value());
}

Result<std::unique_ptr<SqliteStore>> open_store(const Config& config, bool migrate, bool read_only,
                                                Clock& clock) {
    SqliteStore::OpenOptions o;
    o.daemon_lock = false;
    o.migrate = migrate;
    o.read_only = read_only;
    return SqliteStore::open(config.store.path, clock, o);
}

std::string cell(const std::optional<UtcTime>& t) { return t ? format_utc_iso(*t) : "-"; }

void print_status_table(const std::vector<StreamStatus>& rows);
int print_status(const Config& config, Store& store,
                 const Result<std::map<std::string, AccountMetrics>>& http, bool as_json);

// `migrate-store --from sqlite:PATH --to postgres:DSN`. The SQLite daemon lock and the
// PostgreSQL store's advisory lock (exclusive for the copy) keep daemons out of both.
int run_migrate_store(const std::string& from, const std::string& to) {
    if (!from.starts_with("sqlite:") || from.size() == 7) {
        std::cerr << "commerce-syncd: --from must be sqlite:PATH\n";
        return kExitUsage;
    }
    if (!to.starts_with("postgres:") || to.size() == 9) {
        std::cerr << "commerce-syncd: --to must be postgres:DSN (e.g. "
                     "postgres:postgresql://user@host/db)\n";
        return kExitUsage;
    }
    const std::string path = from.substr(7);
    const std::string dsn = to.substr(9);
    log::add_secret(dsn);
    SystemClock clock;
    SqliteStore::OpenOptions lite_options;
    lite_options.daemon_lock = true;  // refused while a daemon runs on the file
    lite_options.read_only = true;
    auto source = SqliteStore::open(path, clock, lite_options);
    if (!source.ok()) {
        std::cerr << "commerce-syncd: " << source.error().message << '\n';
        return source.error().kind == ErrorKind::config ? kExitUsage : kExitStore;
    }
    auto target = PostgresStore::open(dsn, clock, {});
    if (!target.ok()) {
        std::cerr << "commerce-syncd: " << target.error().message << '\n';
        return kExitStore;
    }
    auto copied = (*target)->copy_from_sqlite(path);
    if (!copied.ok()) {
        std::cerr << "commerce-syncd: " << copied.error().message << '\n';
        return copied.error().kind == ErrorKind::config ? kExitUsage : kExitStore;
    }
    std::int64_t rows = 0;
    for (const auto& [table, n] : *copied) rows += n;
    std::cout << "copied " << rows << " rows of " << copied->size() << " tables from " << path
              << " into " << (*target)->location()
              << "; set store.backend: postgres and store.dsn, then start the daemon\n";
    return kExitOk;
}

// migrate, status and reset-cursor, on either store backend (as are export and dead-letters).
int run_store_command(const Config& config, bool read_only, Clock& clock, bool migrate,
                      bool status_json_flag, const std::optional<StreamKey>& reset,
                      const std::string& config_path) {
    if (reset) {
        const AccountConfig* a = config.find_account(reset->account);
        if (!a || !a->find_stream(reset->stream)) {
            std::cerr << "commerce-syncd: no stream '" << reset->stream << "' for account '"
                      << reset->account << "' in " << config_path << '\n';
            return kExitUsage;
        }
    }
    StoreOpenOptions o;
    o.migrate = !read_only;
    o.read_only = read_only;
    auto store = open_configured_store(config.store, clock, o);
    if (!store.ok()) {
        std::cerr << "commerce-syncd: " << store.error().message << '\n';
        return kExitStore;
    }
    if (migrate) {
        auto v = (*store)->schema_version();
        if (!v.ok()) {
            std::cerr << "commerce-syncd: " << v.error().message << '\n';
            return kExitStore;
        }
        std::cout << (*store)->location() << " is at schema version " << *v << '\n';
        return kExitOk;
    }
    if (reset) {
        if (auto st = (*store)->reset_cursor(*reset); !st.ok()) {
            std::cerr << "commerce-syncd: " << st.error().message << '\n';
            return kExitStore;
        }
        std::cout << "cursor of " << reset->account << '/' << reset->stream
                  << " reset: its next cycle starts from the beginning\n";
        return kExitOk;
    }
    auto metrics = (*store)->account_metrics();
    return print_status(config, **store, metrics, status_json_flag);
}

void print_status_table(const std::vector<StreamStatus>& streams) {
    if (streams.empty()) {
        std::cout << "no stream has run yet\n";
        return;
    }
    // Columns as wide as their longest value, so long stream names never run into the next.
    auto width = [&](std::string_view header, auto field) {
        std::size_t w = header.size();
        for (const auto& s : streams) w = std::max(w, std::string_view(field(s)).size());
        return static_cast<int>(w + 2);
    };
    const int account_w = width("ACCOUNT", [](const StreamStatus& s) { return s.account; });
    const int platform_w = width("PLATFORM", [](const StreamStatus& s) { return s.platform; });
    const int stream_w = width("STREAM", [](const StreamStatus& s) { return s.stream; });
    // A cursor can be long (open orders it follows): the table shows its start, --json all of it.
    constexpr std::size_t kCursorShown = 100;
    auto cursor_cell = [&](const StreamStatus& s) -> std::string {
        if (s.cursor.is_null()) return "-";
        std::string text = s.cursor.dump();
        if (text.size() > kCursorShown) text = text.substr(0, kCursorShown) + "... (status --json)";
        return text;
    };
    std::cout << std::left << std::setw(account_w) << "ACCOUNT" << std::setw(platform_w)
              << "PLATFORM" << std::setw(stream_w) << "STREAM" << std::setw(8) << "STATE"
              << std::setw(9) << "RECORDS" << std::setw(6) << "DEAD" << std::setw(22)
              << "LAST SUCCESS"
              << "CURSOR / LAST ERROR\n";
    for (const auto& s : streams) {
        std::cout << std::left << std::setw(account_w) << s.account << std::setw(platform_w)
                  << s.platform << std::setw(stream_w) << s.stream << std::setw(8)
                  << s.account_state << std::setw(9) << s.records << std::setw(6) << s.dead_letters
                  << std::setw(22) << cell(s.last_success_at) << cursor_cell(s) << '\n';
        bool error_is_current = s.last_error && (!s.last_success_at || !s.last_error_at ||
                                                 *s.last_error_at >= *s.last_success_at);
        if (error_is_current) {
            std::cout << "    last error " << cell(s.last_error_at) << ": "
                      << log::redact(*s.last_error) << '\n';
        }
        if (s.account_state == "parked" && !s.account_state_reason.empty()) {
            std::cout << "    parked: " << log::redact(s.account_state_reason) << '\n';
        }
    }
    // One line per account that has a balance read (rows come ordered by account).
    std::string last_account;
    for (const auto& s : streams) {
        if (!s.account_balance || s.account == last_account) continue;
        last_account = s.account;
        const AccountBalance& b = *s.account_balance;
        std::cout << "balance " << s.account << ": " << b.balance.text()
                  << (b.currency.empty() ? "" : " " + b.currency) << " as of "
                  << format_utc_iso(b.observed_at) << '\n';
    }
}

void print_dead_letters(const std::vector<DeadLetterRow>& rows, bool json_lines) {
    if (json_lines) {
        for (const auto& r : rows) {
            // The payload is shown as the JSON it was when it parses, else as text.
            auto payload = nlohmann::json::parse(r.payload, nullptr, /*allow_exceptions=*/false);
            nlohmann::json row = {
                {"id", r.id},
                {"account", r.account},
                {"stream", r.stream},
                {"record_key", r.record_key},
                {"error", log::redact(r.error)},
                {"attempts", r.attempts},
                {"first_seen_at", r.first_seen_at},
                {"last_seen_at", r.last_seen_at},
                {"resolved_at", r.resolved_at ? nlohmann::json(*r.resolved_at) : nullptr},
                {"payload", payload.is_discarded() ? nlohmann::json(r.payload) : payload}};
            std::cout << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
        }
        return;
    }
    if (rows.empty()) {
        std::cout << "no dead letters\n";
        return;
    }
    std::cout << std::left << std::setw(8) << "ID" << std::setw(18) << "ACCOUNT" << std::setw(12)
              << "STREAM" << std::setw(24) << "RECORD" << std::setw(9) << "ATTEMPTS"
              << std::setw(22) << "LAST SEEN"
              << "ERROR\n";
    for (const auto& r : rows) {
        std::cout << std::left << std::setw(8) << r.id << std::setw(18) << r.account
                  << std::setw(12) << r.stream << std::setw(24) << r.record_key << std::setw(9)
                  << r.attempts << std::setw(22) << r.last_seen_at << log::redact(r.error)
                  << (r.resolved_at ? " (resolved " + *r.resolved_at + ")" : "") << '\n';
    }
}

// Replaces every occurrence of each secret (raw and form-encoded) with ***.
std::string mask(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        if (secret.empty()) continue;
        for (const std::string& form : {secret, form_encode(secret)}) {
            for (std::size_t pos = text.find(form); pos != std::string::npos;
                 pos = text.find(form, pos + 3)) {
                text.replace(pos, form.size(), "***");
            }
        }
    }
    return text;
}

std::string host_of(const std::string& url) {
    auto start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    auto end = url.find_first_of("/?#", start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string wire_text(const HttpRequest& req) {
    std::ostringstream out;
    out << req.method << ' ' << req.url << " HTTP/1.1\r\n";
    out << "Host: " << host_of(req.url) << "\r\n";
    for (const auto& [k, v] : req.headers) out << k << ": " << v << "\r\n";
    out << "User-Agent: " << BeastHttpClient::default_user_agent() << "\r\n";
    if (!req.body.empty() || req.method == "POST") {
        out << "Content-Length: " << req.body.size() << "\r\n";
    }
    out << "\r\n" << req.body;
    return out.str();
}

// `dead-letters retry`: each letter's stored payload is mapped again by its account's adapter
// (offline: no platform call) and what maps now is stored, the letter resolved in the same
// transaction. Each letter is its own short transaction without a cursor, so this runs beside a
// running daemon (the store serialises the writers). Every id is tried; exit 1 if any was not
// stored.
int retry_dead_letters(const Config& config, OperationalStore& store,
                       const std::vector<std::int64_t>& ids) {
    boost::asio::io_context ioc(1);  // the adapters are built, never run: no request is sent
    SystemClock clock;
    std::map<std::string, AccountClient> clients;  // by account; destroyed before `ioc`
    int not_stored = 0;
    for (const std::int64_t id : ids) {
        std::string name = "dead letter " + std::to_string(id);
        const auto fail = [&](const std::string& why) {
            std::cerr << "commerce-syncd: " << name << ": " << log::redact(why) << '\n';
            ++not_stored;
        };
        auto letter = store.dead_letter(id);
        if (!letter.ok()) {
            fail(letter.error().message);
            continue;
        }
        if (!*letter) {
            fail("unknown id (`commerce-syncd dead-letters --all` lists the letters)");
            continue;
        }
        const DeadLetterRow& row = **letter;
        name += " (" + row.account + "/" + row.stream +
                (row.record_key.empty() ? "" : " " + row.record_key) + ")";
        if (row.resolved_at) {
            std::cout << name << ": already resolved at " << *row.resolved_at
                      << "; nothing to do\n";
            continue;
        }
        const AccountConfig* account = config.find_account(row.account);
        if (!account) {
            fail("its account is not in " + config.source_path +
                 ": only a configured account's mapping can read it; "
                 "`commerce-syncd dead-letters dismiss " +
                 std::to_string(id) + "` if it is gone for good");
            continue;
        }
        auto client = clients.find(row.account);
        if (client == clients.end()) {
            auto made = make_account_client(ioc.get_executor(), clock, *account);
            if (!made.ok()) {
                fail(made.error().message);
                continue;
            }
            client = clients.emplace(row.account, std::move(made.value())).first;
        }
        auto remapped = client->second.adapter->remap_dead_letter(row.stream, row.payload);
        if (!remapped.ok()) {
            fail("not retried: " + remapped.error().message +
                 "; once dealt with, `commerce-syncd dead-letters dismiss " + std::to_string(id) +
                 "`");
            continue;
        }
        if (!remapped->dead_letters.empty()) {
            const std::string why = remapped->dead_letters.front().error;
            if (auto kept = store.record_dead_letter_retry_failure(id, why); !kept.ok()) {
                fail(kept.error().message);
                continue;
            }
            fail("still does not map: " + why + " (the letter stays, with this reason)");
            continue;
        }
        auto applied = store.apply_dead_letter_retry(id, row.payload, *remapped);
        if (!applied.ok()) {
            fail(applied.error().message);
            continue;
        }
        std::cout << name << ": stored (" << applied->inserted << " inserted, " << applied->updated
                  << " updated, " << applied->unchanged << " unchanged) and resolved\n";
    }
    if (not_stored > 0) {
        std::cerr << "commerce-syncd: " << not_stored << " of " << ids.size()
                  << " dead letter(s) not stored\n";
        return kExitSyncFailed;
    }
    return kExitOk;
}

struct ApiArgs {
    std::string account;
    std::string method;
    std::vector<std::string> params;
    std::optional<std::string> body;
    std::optional<std::int64_t> at;
    bool dry_run = false;
    bool show_secrets = false;
};

int run_api(const Config& config, const ApiArgs& args) {
    const AccountConfig* account = config.find_account(args.account);
    if (!account) {
        std::cerr << "commerce-syncd api: no account named '" << args.account << "' in "
                  << config.source_path << '\n';
        return kExitUsage;
    }
    RawCall call;
    call.method = args.method;
    call.body = args.body;
    call.at_unix = args.at;
    for (const auto& p : args.params) {
        auto eq = p.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << "commerce-syncd api: -p takes NAME=VALUE, got '" << p << "'\n";
            return kExitUsage;
        }
        call.params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
    }

    boost::asio::io_context ioc(1);
    SystemClock clock;
    // Tokens the daemon rotated live in the account state; read it, never write it.
    AccountStoreAccess stored;
    if (std::filesystem::exists(config.store.path)) {
        auto opened = open_store(config, /*migrate=*/false, /*read_only=*/true, clock);
        auto state = opened.ok() ? opened.value()->load_account_state(account->name)
                                 : Result<AccountState>(opened.error());
        if (state.ok()) {
            stored.state = std::move(state.value());
        } else {
            std::cerr << "commerce-syncd api: warning: cannot read the account state ("
                      << state.error().message << "); using the configured credentials\n";
        }
    }
    auto client =
        make_account_client(ioc.get_executor(), clock, *account, nullptr, std::move(stored));
    if (!client.ok()) {
        std::cerr << "commerce-syncd api: " << client.error().message << '\n';
        return kExitUsage;
    }
    const PlatformAdapter* adapter = client->adapter.get();

    auto request = adapter->build_raw_call(call);
    if (!request.ok()) {
        std::cerr << "commerce-syncd api: " << request.error().message << '\n';
        return kExitUsage;
    }
    if (args.dry_run) {
        std::string text = wire_text(*request);
        std::cout << (args.show_secrets ? text : mask(text, adapter->secret_values()));
        if (!text.empty() && text.back() != '\n') std::cout << '\n';
        return kExitOk;
    }
    auto fut = boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<std::optional<Result<HttpResponse>>> {
            auto own = co_await client->adapter->send_raw_call(call);
            if (own) co_return own;
            co_return std::optional<Result<HttpResponse>>(co_await client->limited->send(*request));
        },
        boost::asio::use_future);
    ioc.run();
    auto response = std::move(*fut.get());
    if (!response.ok()) {
        std::cerr << "commerce-syncd api: " << log::redact(response.error().describe()) << '\n';
        return kExitSyncFailed;
    }
    std::cerr << "HTTP " << response->status << '\n';
    std::cout << response->body;
    if (!response->body.empty() && response->body.back() != '\n') std::cout << '\n';
    // The answer is printed as it came; the exit code says what the platform meant by it, so a
    // script can tell a refusal inside an HTTP 200 from a success.
    Status verdict = adapter->read_raw_response(*response);
    if (verdict.ok()) return kExitOk;
    std::cerr << "commerce-syncd api: the platform answered with an error: "
              << log::redact(verdict.error().describe()) << '\n';
    if (verdict.error().kind == ErrorKind::token_expired) {
        std::cerr << "commerce-syncd api: the access token was refused as expired or revoked; "
                     "`api` never refreshes tokens (a refresh rotates the refresh token the "
                     "daemon holds): let `commerce-syncd run` or `sync-once` refresh it, then "
                     "try again\n";
        return kExitAuth;
    }
    return verdict.error().kind == ErrorKind::auth ? kExitAuth : kExitSyncFailed;
}

// `status`, either backend: the table or JSON, and with replicas who holds each account.
int print_status(const Config& config, Store& store,
                 const Result<std::map<std::string, AccountMetrics>>& http, bool as_json) {
    auto s = store.status();
    if (!s.ok()) {
        std::cerr << "commerce-syncd: " << s.error().message << '\n';
        return kExitStore;
    }
    std::optional<std::vector<replica::LeaseRow>> leases;
    if (config.store.backend == "postgres") {
        auto rows = replica::PgLeaseTable::read_leases(config.store.dsn);
        if (!rows.ok()) {
            std::cerr << "commerce-syncd: " << rows.error().message << '\n';
            return kExitStore;
        }
        leases = std::move(rows.value());
    }
    if (as_json) {
        if (!http.ok()) {
            std::cerr << "commerce-syncd: " << http.error().message << '\n';
            return kExitStore;
        }
        nlohmann::json doc = status_json(*s, nullptr, &*http);
        if (leases) add_leases(doc, *leases);
        std::cout << log::redact(doc.dump(2)) << '\n';
    } else {
        print_status_table(*s);
        if (leases) std::cout << replica::leases_text(*leases);
    }
    return kExitOk;
}

}  // namespace

int cli_main(int argc, char** argv) {
    CLI::App app{
        "commerce-syncd keeps a local, normalized SQLite copy of a merchant's catalogue, "
        "stock and orders from several commerce platforms."};
    app.require_subcommand(1);
    std::string config_path = default_config_path();
    app.add_option("-c,--config", config_path,
                   "configuration file (default $COMMERCE_SYNCD_CONFIG or "
                   "/etc/commerce-syncd/commerce-syncd.yaml)");
    app.fallthrough();

    auto* run = app.add_subcommand("run", "run the daemon: every stream on its interval");
    auto* once = app.add_subcommand("sync-once", "run one sync cycle of each stream, then exit");
    std::string only_account, only_stream;
    once->add_option("--account", only_account, "only this account");
    once->add_option("--stream", only_stream, "only this stream");
    bool dry_run = false;
    once->add_flag("--dry-run", dry_run,
                   "fetch one page of each selected stream and show it; write nothing, "
                   "acknowledge nothing");

    auto* status = app.add_subcommand("status",
                                      "per account and stream: cursor, last success, "
                                      "last error, record counts");
    bool status_json_flag = false;
    status->add_flag("--json", status_json_flag, "print JSON");

    auto* reset = app.add_subcommand("reset-cursor",
                                     "forget a stream's cursor: its next cycle "
                                     "starts from the beginning");
    std::string reset_account, reset_stream;
    reset->add_option("ACCOUNT", reset_account)->required();
    reset->add_option("STREAM", reset_stream)->required();

    auto* check = app.add_subcommand("check-config", "validate the configuration and exit");
    auto* migrate = app.add_subcommand("migrate", "apply pending database migrations and exit");

    auto* exp = app.add_subcommand("export", "print a table of the store");
    std::string export_table, export_format = "ndjson";
    exp->add_option("TABLE", export_table, "products, categories, stock_levels, orders, ...")
        ->required();
    exp->add_option("--format", export_format, "ndjson (one object a line) or csv (RFC 4180)")
        ->check(CLI::IsMember({"ndjson", "csv"}));

    auto* dead = app.add_subcommand("dead-letters",
                                    "list the records that could not be stored (unresolved "
                                    "ones unless --all)");
    DeadLetterFilter dead_filter;
    std::string dead_account, dead_stream;
    bool dead_json = false;
    dead->add_option("--account", dead_account, "only this account");
    dead->add_option("--stream", dead_stream, "only this stream");
    dead->add_flag("--all", dead_filter.include_resolved, "include resolved ones");
    dead->add_flag("--json", dead_json, "print NDJSON, one letter a line, with its payload");
    auto* dismiss = dead->add_subcommand(
        "dismiss", "mark dead letters resolved by hand (a record failing again reopens its own)");
    std::vector<std::int64_t> dismiss_ids;
    dismiss->add_option("ID", dismiss_ids, "ids from the list")->required();
    auto* retry = dead->add_subcommand(
        "retry",
        "map letters' stored records again (this binary, the current configuration) and store "
        "those that map now; safe beside a running daemon; exit 1 if any was not stored");
    std::vector<std::int64_t> retry_ids;
    retry->add_option("ID", retry_ids, "ids from the list")->required();

    auto* version = app.add_subcommand("version", "print the version");
    auto* health = app.add_subcommand(
        "healthcheck",
        "ask the running daemon's /healthz (http.listen); exit 0 if healthy, else 1");

    auto* migrate_store = app.add_subcommand(
        "migrate-store",
        "copy a SQLite store (cursors, runs, account state: every table) into an empty "
        "PostgreSQL store, in one transaction; stop the daemon first");
    std::string migrate_from, migrate_to;
    migrate_store->add_option("--from", migrate_from, "sqlite:PATH")->required();
    migrate_store->add_option("--to", migrate_to, "postgres:DSN")->required();

    auto* api = app.add_subcommand("api", "one raw, signed platform call (for integrators)");
    ApiArgs api_args;
    std::int64_t at_value = 0;
    std::string body_value;
    api->add_option("ACCOUNT", api_args.account, "account name from the configuration")->required();
    api->add_option("METHOD", api_args.method, "the platform's method name")->required();
    api->add_option("-p,--param", api_args.params, "NAME=VALUE request parameter (repeatable)");
    auto* body_opt = api->add_option("--body", body_value, "JSON body, sent byte for byte");
    auto* at_opt = api->add_option("--at", at_value, "fix the clock (Unix seconds)");
    api->add_flag("--dry-run", api_args.dry_run, "print the exact request; send nothing");
    api->add_flag("--show-secrets", api_args.show_secrets, "do not mask credentials in --dry-run");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? kExitOk : kExitUsage;
    }

    if (*version) {
        std::cout << "commerce-syncd " << CSYNC_VERSION << '\n';
        return kExitOk;
    }

    if (*migrate_store) return run_migrate_store(migrate_from, migrate_to);

    auto config = load_or_report(config_path);
    if (!config) return kExitUsage;

    if (*check) {
        std::size_t streams = 0;
        for (const auto& a : config->accounts) streams += a.streams.size();
        std::cout << "configuration " << config_path << " is valid: " << config->accounts.size()
                  << " account(s), " << streams << " stream(s)\n";
        return kExitOk;
    }
    if (*run || *once) {
        DaemonOptions options;
        options.once = static_cast<bool>(*once);
        options.serve_http = static_cast<bool>(*run);
        if (!only_account.empty()) {
            if (!config->find_account(only_account)) {
                std::cerr << "commerce-syncd: no account named '" << only_account << "'\n";
                return kExitUsage;
            }
            options.only_account = only_account;
        }
        if (!only_stream.empty()) {
            options.only_stream = only_stream;
            // A mistyped stream name would otherwise select nothing and "succeed".
            bool any = false;
            for (const auto& a : config->accounts) {
                for (const auto& st : a.streams) any = any || options.selects(a.name, st.name);
            }
            if (!any) {
                std::cerr << "commerce-syncd: no stream named '" << only_stream << "'"
                          << (only_account.empty() ? "" : " for account '" + only_account + "'")
                          << " in " << config_path << '\n';
                return kExitUsage;
            }
        }
        if (dry_run) return run_dry(*config, options);
        return run_daemon(std::move(*config), options);
    }
    if (*health) return run_healthcheck(*config);
    if (*api) {
        if (*body_opt) api_args.body = body_value;
        if (*at_opt) api_args.at = at_value;
        return run_api(*config, api_args);
    }

    SystemClock clock;
    bool read_only = *status || *exp || (*dead && !*dismiss && !*retry);
    if (*migrate || *status || *reset) {
        return run_store_command(
            *config, read_only, clock, bool(*migrate), status_json_flag,
            *reset ? std::optional<StreamKey>(StreamKey{reset_account, reset_stream})
                   : std::nullopt,
            config_path);
    }
    StoreOpenOptions options;
    options.migrate = !read_only;
    options.read_only = read_only;
    auto store = open_configured_store(config->store, clock, options);
    if (!store.ok()) {
        std::cerr << "commerce-syncd: " << store.error().message << '\n';
        return kExitStore;
    }
    if (*dismiss) {
        if (auto st = (*store)->dismiss_dead_letters(dismiss_ids); !st.ok()) {
            std::cerr << "commerce-syncd: " << st.error().message << '\n';
            return st.error().kind == ErrorKind::config ? kExitUsage : kExitStore;
        }
        std::cout << dismiss_ids.size() << " dead letter(s) dismissed\n";
        return kExitOk;
    }
    if (*retry) return retry_dead_letters(*config, **store, retry_ids);
    if (*dead) {
        if (!dead_account.empty()) dead_filter.account = dead_account;
        if (!dead_stream.empty()) dead_filter.stream = dead_stream;
        auto rows = (*store)->dead_letters(dead_filter);
        if (!rows.ok()) {
            std::cerr << "commerce-syncd: " << rows.error().message << '\n';
            return kExitStore;
        }
        print_dead_letters(*rows, dead_json);
        return kExitOk;
    }
    if (*exp) {
        auto format = export_format == "csv" ? ExportFormat::csv : ExportFormat::ndjson;
        if (auto st = (*store)->export_table(export_table, std::cout, format); !st.ok()) {
            std::cerr << "commerce-syncd: " << st.error().message << '\n';
            return kExitUsage;
        }
        return kExitOk;
    }
    return kExitUsage;
}

}  // namespace csync::app
