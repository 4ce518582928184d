#include "app/status_endpoint.hpp"

#include <sstream>

#include "app/process_metrics.hpp"
#include "log/log.hpp"
#include "replica/lease_report.hpp"

namespace csync::app {
namespace {

nlohmann::json opt_time_json(const std::optional<UtcTime>& t) {
    return t ? nlohmann::json(format_utc_iso(*t)) : nlohmann::json(nullptr);
}

std::string label_escape(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

}  // namespace

nlohmann::json status_json(const std::vector<StreamStatus>& streams,
                           const std::map<SyncMetrics::Key, StreamMetrics>* live,
                           const std::map<std::string, AccountMetrics>* http) {
    nlohmann::json accounts = nlohmann::json::object();
    for (const auto& s : streams) {
        auto& acc = accounts[s.account];
        if (acc.is_null()) {
            acc = {{"platform", s.platform},
                   {"state", s.account_state},
                   {"state_reason", s.account_state_reason},
                   {"streams", nlohmann::json::object()}};
            if (s.account_balance) {
                // Exact decimal text, never a JSON number: money is not a double.
                acc["balance"] = {{"amount", s.account_balance->balance.text()},
                                  {"currency", s.account_balance->currency},
                                  {"observed_at", format_utc_iso(s.account_balance->observed_at)}};
            }
        }
        nlohmann::json st = {
            {"cursor", s.cursor},
            {"cursor_updated_at", opt_time_json(s.cursor_updated_at)},
            {"last_run_started_at", opt_time_json(s.last_run_started_at)},
            {"last_success_at", opt_time_json(s.last_success_at)},
            {"last_error", s.last_error ? nlohmann::json(*s.last_error) : nlohmann::json(nullptr)},
            {"last_error_at", opt_time_json(s.last_error_at)},
            {"records", s.records},
            {"dead_letters", s.dead_letters}};
        if (live) {
            auto it = live->find({s.account, s.stream});
            if (it != live->end()) {
                const StreamMetrics& m = it->second;
                st["live"] = {{"running", m.running},
                              {"cycles", m.cycles},
                              {"cycles_failed", m.cycles_failed},
                              {"pages", m.pages},
                              {"requests", m.requests},
                              {"retries", m.retries},
                              {"inserted", m.inserted},
                              {"updated", m.updated},
                              {"unchanged", m.unchanged},
                              {"ack_failures", m.ack_failures},
                              {"last_cycle_ms", m.last_cycle_ms}};
            }
        }
        acc["streams"][s.stream] = std::move(st);
    }
    // Per account, the same HTTP figures /metrics has.
    for (const auto& [name, m] : http ? *http : std::map<std::string, AccountMetrics>{}) {
        if (!accounts.contains(name)) continue;
        nlohmann::json responses = nlohmann::json::object();
        for (const auto& [code, n] : m.responses) responses[std::to_string(code)] = n;
        accounts[name]["http"] = {
            {"responses", responses},
            {"transport_errors", m.transport_errors},
            {"rate_limit_wait_seconds", static_cast<double>(m.rate_limit_wait_us) / 1e6}};
    }
    return {{"accounts", accounts}};
}

void add_leases(nlohmann::json& status, const std::vector<replica::LeaseRow>& leases) {
    nlohmann::json by_account = replica::leases_json(leases);
    for (auto& [account, doc] : status["accounts"].items()) {
        if (by_account.contains(account)) doc["lease"] = by_account[account];
    }
}

std::string metrics_text(const std::vector<StreamStatus>& streams,
                         const std::map<SyncMetrics::Key, StreamMetrics>& live,
                         const std::map<std::string, AccountMetrics>& accounts, UtcTime now) {
    std::ostringstream out;
    auto labels = [](const std::string& a, const std::string& s) {
        return "{account=\"" + label_escape(a) + "\",stream=\"" + label_escape(s) + "\"}";
    };
    auto account_label = [](const std::string& a, const std::string& extra = "") {
        return "{account=\"" + label_escape(a) + "\"" + extra + "}";
    };
    out << "# HELP csync_records Rows the stream owns in the store.\n# TYPE csync_records gauge\n";
    for (const auto& s : streams)
        out << "csync_records" << labels(s.account, s.stream) << ' ' << s.records << '\n';
    out << "# HELP csync_dead_letters Unresolved dead letters.\n# TYPE csync_dead_letters gauge\n";
    for (const auto& s : streams)
        out << "csync_dead_letters" << labels(s.account, s.stream) << ' ' << s.dead_letters << '\n';
    out << "# HELP csync_last_success_timestamp_seconds Last completed cycle (Unix time).\n"
           "# TYPE csync_last_success_timestamp_seconds gauge\n";
    for (const auto& s : streams) {
        auto t = s.last_success_at ? s.last_success_at->time_since_epoch().count() : 0;
        out << "csync_last_success_timestamp_seconds" << labels(s.account, s.stream) << ' ' << t
            << '\n';
    }
    out << "# HELP csync_account_parked 1 when the account is parked (auth or config error).\n"
           "# TYPE csync_account_parked gauge\n";
    std::map<std::string, bool> parked;
    for (const auto& s : streams) parked[s.account] = s.account_state == "parked";
    for (const auto& [a, p] : parked)
        out << "csync_account_parked" << account_label(a) << ' ' << (p ? 1 : 0) << '\n';
    out << "# HELP csync_account_balance The account's latest balance on the platform.\n"
           "# TYPE csync_account_balance gauge\n";
    std::map<std::string, const AccountBalance*> balances;
    for (const auto& s : streams)
        if (s.account_balance) balances[s.account] = &*s.account_balance;
    for (const auto& [a, b] : balances) {
        // The stored exact decimal text is a valid sample value as it is: no double, no rounding.
        out << "csync_account_balance"
            << account_label(a, ",currency=\"" + label_escape(b->currency) + "\"") << ' '
            << b->balance.text() << '\n';
    }

    struct Counter {
        const char* name;
        const char* help;
        std::int64_t StreamMetrics::*field;
    };
    const Counter counters[] = {
        {"csync_pages_total", "Pages committed.", &StreamMetrics::pages},
        {"csync_requests_total", "Platform requests made.", &StreamMetrics::requests},
        {"csync_records_inserted_total", "Records inserted.", &StreamMetrics::inserted},
        {"csync_records_updated_total", "Records updated.", &StreamMetrics::updated},
        {"csync_records_unchanged_total", "Records seen again unchanged.",
         &StreamMetrics::unchanged},
        {"csync_records_dead_lettered_total", "Records parked as dead letters.",
         &StreamMetrics::dead_lettered},
        {"csync_retries_total", "Page fetches retried.", &StreamMetrics::retries},
        {"csync_ack_failures_total", "Acknowledgements the platform did not take.",
         &StreamMetrics::ack_failures},
        {"csync_cycles_total", "Cycles run.", &StreamMetrics::cycles},
        {"csync_cycles_failed_total", "Cycles that ended with an error.",
         &StreamMetrics::cycles_failed},
    };
    for (const auto& c : counters) {
        out << "# HELP " << c.name << ' ' << c.help << "\n# TYPE " << c.name << " counter\n";
        for (const auto& [k, m] : live)
            out << c.name << labels(k.first, k.second) << ' ' << m.*c.field << '\n';
    }
    out << "# HELP csync_cursor_lag_seconds Watermark streams: seconds between now and the "
           "platform time the committed cursor has synced up to.\n"
           "# TYPE csync_cursor_lag_seconds gauge\n";
    for (const auto& [k, m] : live) {
        if (!m.watermark_unix) continue;
        out << "csync_cursor_lag_seconds" << labels(k.first, k.second) << ' '
            << (now.time_since_epoch().count() - *m.watermark_unix) << '\n';
    }
    out << "# HELP csync_cycle_duration_seconds Duration of sync cycles.\n"
           "# TYPE csync_cycle_duration_seconds histogram\n";
    for (const auto& [k, m] : live) {
        const std::string prefix = "csync_cycle_duration_seconds_bucket{account=\"" +
                                   label_escape(k.first) + "\",stream=\"" + label_escape(k.second) +
                                   "\",le=\"";
        for (std::size_t i = 0; i < StreamMetrics::kDurationBounds.size(); ++i) {
            out << prefix << StreamMetrics::kDurationBounds[i] << "\"} " << m.duration_buckets[i]
                << '\n';
        }
        out << prefix << "+Inf\"} " << m.cycles << '\n';
        out << "csync_cycle_duration_seconds_sum" << labels(k.first, k.second) << ' '
            << m.duration_sum_seconds << '\n';
        out << "csync_cycle_duration_seconds_count" << labels(k.first, k.second) << ' ' << m.cycles
            << '\n';
    }
    out << "# HELP csync_errors_total Errors by kind.\n# TYPE csync_errors_total counter\n";
    for (const auto& [k, m] : live) {
        for (const auto& [kind, n] : m.errors) {
            out << "csync_errors_total{account=\"" << label_escape(k.first) << "\",stream=\""
                << label_escape(k.second) << "\",kind=\"" << kind << "\"} " << n << '\n';
        }
    }

    // Per account: is the configured rate limit (or the platform's pauses) what holds it back,
    // and how does the platform answer?
    out << "# HELP csync_rate_limit_wait_seconds_total Time requests waited for the account's "
           "rate limit (its token bucket and the platform's pauses).\n"
           "# TYPE csync_rate_limit_wait_seconds_total counter\n";
    for (const auto& [a, m] : accounts) {
        out << "csync_rate_limit_wait_seconds_total" << account_label(a) << ' '
            << std::to_string(static_cast<double>(m.rate_limit_wait_us) / 1e6) << '\n';
    }
    out << "# HELP csync_http_responses_total Platform answers by HTTP status.\n"
           "# TYPE csync_http_responses_total counter\n";
    for (const auto& [a, m] : accounts) {
        for (const auto& [code, n] : m.responses) {
            out << "csync_http_responses_total"
                << account_label(a, ",code=\"" + std::to_string(code) + "\"") << ' ' << n << '\n';
        }
    }
    out << "# HELP csync_http_transport_errors_total Requests without a usable answer "
           "(connect, TLS, timeout, reset).\n"
           "# TYPE csync_http_transport_errors_total counter\n";
    for (const auto& [a, m] : accounts) {
        out << "csync_http_transport_errors_total" << account_label(a) << ' ' << m.transport_errors
            << '\n';
    }
    return out.str();
}

boost::asio::awaitable<ServerResponse> StatusEndpoint::handle(ServerRequest request) {
    ServerResponse r;
    if (request.method != "GET" && request.method != "HEAD") {
        r.status = 405;
        r.content_type = "text/plain";
        r.body = "method not allowed\n";
        co_return r;
    }
    if (request.path == "/healthz") {
        r.content_type = "text/plain";
        r.body = "ok\n";
        co_return r;
    }
    Store* store = s_.store;
    auto statuses = co_await s_.db->run([store] { return store->status(); });
    if (request.path == "/readyz") {
        r.content_type = "text/plain";
        if (statuses.ok()) {
            r.body = "ready\n";
        } else {
            r.status = 503;
            r.body = "store unavailable: " + statuses.error().message + "\n";
        }
        co_return r;
    }
    if (!statuses.ok()) {
        r.status = 503;
        r.body = nlohmann::json{{"error", statuses.error().describe()}}.dump();
        co_return r;
    }
    auto live = s_.metrics->snapshot();
    if (request.path == "/status") {
        // Error texts quote platforms; whatever they echoed of a request is masked on the way out.
        auto http = s_.metrics->accounts_snapshot();
        nlohmann::json doc = status_json(*statuses, &live, &http);
        if (s_.leases) add_leases(doc, s_.leases->snapshot().all);
        r.body = log::redact(doc.dump(2));
        co_return r;
    }
    if (request.path == "/metrics") {
        r.content_type = "text/plain; version=0.0.4";
        auto now = std::chrono::time_point_cast<std::chrono::seconds>(s_.clock->now());
        r.body = log::redact(
            metrics_text(*statuses, live, s_.metrics->accounts_snapshot(), now) +
            (s_.leases ? replica::lease_metrics_text(s_.leases->snapshot()) : std::string()) +
            process_metrics_text());
        co_return r;
    }
    r.status = 404;
    r.content_type = "text/plain";
    r.body = "not found: try /status, /healthz, /readyz or /metrics\n";
    co_return r;
}

}  // namespace csync::app
