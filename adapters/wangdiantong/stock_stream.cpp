#include "wangdiantong/stock_stream.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "core/json_util.hpp"
#include "core/platform_call.hpp"
#include "core/retry_policy.hpp"
#include "wangdiantong/wait_list_page.hpp"

namespace csync::wangdiantong {
namespace {

using nlohmann::json;

// Acknowledgements sent at once: as many as the HTTP client keeps idle connections per host.
constexpr int kAcksInFlight = 4;

std::optional<std::int64_t> id_of(const json& v) {
    if (v.is_number_unsigned() || v.is_number_integer()) {
        json holder = json::object();
        holder["v"] = v;
        return json_int(holder, "v");
    }
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        std::int64_t out = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc{} && ptr == s.data() + s.size()) return out;
    }
    return std::nullopt;
}

// "yyyy-MM-dd HH:mm:ss" (platform-local) -> UTC; "" and zero dates -> nullopt.
std::optional<UtcTime> parse_naive(std::string_view s, const TimeZone& zone) {
    if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' ||
        s[16] != ':') {
        return std::nullopt;
    }
    auto num = [&](std::size_t pos, std::size_t n) {
        int v = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return -1;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
        se = num(17, 2);
    if (y <= 0 || mo <= 0 || d <= 0 || h < 0 || mi < 0 || se < 0 || h > 23 || mi > 59 || se > 59) {
        return std::nullopt;
    }
    using namespace std::chrono;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    const LocalTime local{
        (local_days{ymd} + hours{h} + minutes{mi} + seconds{se}).time_since_epoch()};
    return zone.to_utc(local);
}

const json* member(const json& o, std::string_view key) {
    if (!o.is_object()) return nullptr;
    auto it = o.find(key);
    return it == o.end() ? nullptr : &*it;
}

struct AckItem {
    bool success = true;
    std::int64_t rec_id = 0;
    std::string body;
};

json ack_json(const AckItem& a) {
    return json{
        {"method", a.success ? kSyncSuccess : kSyncFail}, {"rec_id", a.rec_id}, {"body", a.body}};
}

std::string ack_body(std::int64_t rec_id, const std::string& info) {
    return "[" + std::to_string(rec_id) + "," + info + "]";
}

class StockStream final : public StreamSync {
  public:
    StockStream(std::shared_ptr<Client> client, TimeZone zone, StockStreamOptions options,
                log::Logger logger, Clock& clock, Random& random)
        : client_(std::move(client)),
          zone_(std::move(zone)),
          options_(options),
          logger_(std::move(logger)),
          clock_(clock),
          random_(random) {}

    boost::asio::awaitable<Result<Page>> fetch_page(const json& cursor) override;
    boost::asio::awaitable<Status> after_commit(Page& page) override;
    // Page N+1 is listed only after page N's acknowledgements are done: listing it while they
    // were in flight left ids waiting after five cycles under the lease + exclusive-position
    // reading (the kill -9 convergence test), where listing in order does not.

  private:
    struct Calculated {
        std::vector<json> records;
        std::vector<std::pair<std::int64_t, std::string>> failures;  // rec_id, error
        std::int64_t requests = 0;
    };

    boost::asio::awaitable<Result<Calculated>> calc(const std::vector<std::int64_t>& ids);
    boost::asio::awaitable<Status> calc_batch(const std::vector<std::int64_t>& ids, Calculated& out,
                                              bool& refused);
    boost::asio::awaitable<Status> calc_one(std::int64_t id, Calculated& out);
    boost::asio::awaitable<Result<json>> acknowledge(const json& ack, std::int64_t& requests);

    std::shared_ptr<Client> client_;
    TimeZone zone_;
    StockStreamOptions options_;
    log::Logger logger_;
    Clock& clock_;
    Random& random_;
    RetryPolicy retry_;
    bool batch_refused_ = false;        // the platform refused batchCalcStock: use calcStock
    std::set<std::int64_t> cycle_ids_;  // ids listed so far in this process's current cycle
    WaitListReader wait_list_reader_;   // its buffers serve every page
};

boost::asio::awaitable<Status> StockStream::calc_one(std::int64_t id, Calculated& out) {
    std::string method(kCalcStock);
    std::string body = "[" + std::to_string(id) + ",false]";
    auto r = co_await client_->call(std::move(method), std::move(body), out.requests);
    if (!r.ok()) {
        // A business refusal of this one id (status 100 "已停用或者未开启同步", bad id) is the
        // id's failure; anything else (network, rate limit, auth) fails the page.
        if (r.error().kind == ErrorKind::config) {
            out.failures.emplace_back(id, r.error().message);
            co_return Status{};
        }
        co_return r.error();
    }
    if (!r->is_object()) {
        out.failures.emplace_back(id,
                                  "calcStock returned no record for rec_id " + std::to_string(id));
        co_return Status{};
    }
    // A record for another id (or none) must never be stored, nor acknowledged, as this one.
    if (auto answered = json_int(*r, "rec_id"); !answered || *answered != id) {
        out.failures.emplace_back(
            id, "calcStock for rec_id " + std::to_string(id) + " answered " +
                    (answered ? "rec_id " + std::to_string(*answered) : std::string("no rec_id")));
        co_return Status{};
    }
    out.records.push_back(std::move(*r));
    co_return Status{};
}

boost::asio::awaitable<Status> StockStream::calc_batch(const std::vector<std::int64_t>& ids,
                                                       Calculated& out, bool& refused) {
    std::string body = "[[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) body += ',';
        body += "{\"api_goods_id\":" + std::to_string(ids[i]) + ",\"force_sync\":false}";
    }
    body += "]]";
    std::string method(kBatchCalcStock);
    auto r = co_await client_->call(std::move(method), std::move(body), out.requests);
    if (!r.ok()) {
        if (r.error().kind == ErrorKind::config) {
            refused = true;
            logger_.warn("batchCalcStock refused ({}); calculating with calcStock per id",
                         r.error().message);
            co_return Status{};
        }
        co_return r.error();
    }
    json& data = *r;
    if (!data.is_object()) {
        co_return Error::bad_response("wangdiantong batchCalcStock: data is not an object");
    }
    std::set<std::int64_t> wanted(ids.begin(), ids.end());
    std::set<std::int64_t> answered;
    if (auto ok = data.find("success_date"); ok != data.end() && !ok->is_null()) {
        if (!ok->is_array()) {
            co_return Error::bad_response(
                "wangdiantong batchCalcStock: success_date is not a list");
        }
        for (json& rec : *ok) {
            auto id = json_int(rec, "rec_id");
            if (!id || !wanted.count(*id) || answered.count(*id)) {
                logger_.warn("batchCalcStock returned a record for an id not asked for; ignored");
                continue;
            }
            answered.insert(*id);
            out.records.push_back(std::move(rec));
        }
    }
    if (const json* bad = member(data, "error_date"); bad && !bad->is_null()) {
        if (!bad->is_array()) {
            co_return Error::bad_response("wangdiantong batchCalcStock: error_date is not a list");
        }
        for (const json& e : *bad) {
            auto id = json_int(e, "rec_id");
            if (!id || !wanted.count(*id) || answered.count(*id)) continue;
            answered.insert(*id);
            out.failures.emplace_back(*id, json_text(e, "err_msg").value_or("calc failed"));
        }
    }
    for (std::int64_t id : ids) {
        if (!answered.count(id)) {
            out.failures.emplace_back(
                id, "batchCalcStock answered nothing for rec_id " + std::to_string(id));
        }
    }
    co_return Status{};
}

boost::asio::awaitable<Result<StockStream::Calculated>> StockStream::calc(
    const std::vector<std::int64_t>& ids) {
    Calculated out;
    const std::size_t chunk = std::max<std::size_t>(1, options_.calc_batch_size);
    for (std::size_t start = 0; start < ids.size(); start += chunk) {
        std::vector<std::int64_t> part(
            ids.begin() + static_cast<std::ptrdiff_t>(start),
            ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + chunk)));
        bool refused = false;
        if (!batch_refused_) {
            Status s = co_await calc_batch(part, out, refused);
            if (!s.ok()) co_return failed_fetch(s.error(), out.requests);
            if (refused)
                batch_refused_ = true;
            else
                continue;
        }
        for (std::int64_t id : part) {
            Status s = co_await calc_one(id, out);
            if (!s.ok()) co_return failed_fetch(s.error(), out.requests);
        }
    }
    co_return out;
}

boost::asio::awaitable<Result<Page>> StockStream::fetch_page(const json& cursor) {
    // Every cycle lists from position 0; a stored position only resumes a cycle that was
    // interrupted. Whether the ERP re-times an id that was listed but never cleared (a lease),
    // or leaves it waiting where it was, and whether the next list starts at >= or > position,
    // is not documented: starting each cycle at 0 reaches every waiting id under every reading.
    std::int64_t position = 0;
    if (cursor.is_object() && json_bool(cursor, "in_cycle").value_or(false)) {
        if (auto p = json_int(cursor, "position")) position = *p;
    }
    if (position == 0) cycle_ids_.clear();
    Page page;
    const std::string list_body =
        "[" + std::to_string(options_.count) + "," + std::to_string(position) + "]";
    std::string method(kWaitList);
    std::string body = list_body;
    // The wait list is read straight into ids (WaitListReader), the stream's most frequent answer.
    std::optional<WaitList> listed_ids;
    auto read_ids = [this, &listed_ids](const HttpResponse& response,
                                        std::int64_t received_unix) -> Status {
        auto read = wait_list_reader_.read(response, received_unix);
        if (!read.ok()) return read.error();
        listed_ids = std::move(*read);
        return {};
    };
    auto listed =
        co_await client_->call(std::move(method), std::move(body), page.requests, read_ids);
    if (!listed.ok()) co_return failed_fetch(listed.error(), page.requests);
    WaitList* wait = &*listed_ids;

    const json cycle_end = json{{"position", 0}};
    if (wait->ids.empty()) {
        page.next_cursor = cycle_end;
        page.cycle_done = true;
        cycle_ids_.clear();
        co_return page;
    }
    // A short list: the platform has nothing more waiting right now (the count is of the
    // answer before duplicates were removed, see parse_wait_list).
    page.cycle_done = wait->listed < static_cast<std::size_t>(options_.count);
    if (!wait->position) {
        // Without a position there is no way on from here: this page is stored and acknowledged,
        // and the cycle ends; the next one lists from 0 again.
        logger_.warn(
            "getSelfWaitSyncIdListOpen returned {} ids without a position; the cycle ends "
            "after this page",
            wait->ids.size());
        page.cycle_done = true;
    } else if (*wait->position == position &&
               std::all_of(wait->ids.begin(), wait->ids.end(),
                           [&](std::int64_t id) { return cycle_ids_.count(id) > 0; })) {
        // The same position again with nothing new on it (ids at one disable_syn_until that
        // stay waiting, e.g. with ack off): paging on would repeat this page without end.
        page.cycle_done = true;
    }
    if (page.cycle_done) {
        page.next_cursor = cycle_end;
        cycle_ids_.clear();
    } else {
        page.next_cursor = json{{"position", *wait->position}, {"in_cycle", true}};
        cycle_ids_.insert(wait->ids.begin(), wait->ids.end());
    }

    auto calculated = co_await calc(wait->ids);
    if (!calculated.ok()) {
        co_return failed_fetch(calculated.error(),
                               page.requests + calculated.error().requests.value_or(0));
    }
    page.requests += calculated->requests;

    std::vector<AckItem> acks;
    for (const json& rec : calculated->records) {
        auto id = json_int(rec, "rec_id");
        auto level = map_stock_record(rec, zone_);
        if (!level.ok()) {
            page.records.dead_letters.push_back(
                DeadLetter{id ? "rec_id=" + std::to_string(*id) : std::string(), rec.dump(),
                           level.error().message});
            if (id)
                acks.push_back(
                    {false, *id, ack_body(*id, ack_info(rec, false, level.error().message))});
            continue;
        }
        acks.push_back({true, *id, ack_body(*id, ack_info(rec, true, "库存同步成功"))});
        page.records.stock_levels.push_back(std::move(*level));
    }
    for (const auto& [id, error] : calculated->failures) {
        const std::string msg = client_->scrub(error);
        page.records.dead_letters.push_back(
            DeadLetter{"rec_id=" + std::to_string(id), json{{"rec_id", id}}.dump(), msg});
        acks.push_back({false, id, ack_body(id, ack_info_without_record(msg))});
    }
    // The wait list comes in disable_syn_until order, which scatters rec_ids: written in that
    // order, each row lands on another leaf of the key and sku indexes, and once those outgrow
    // SQLite's page cache every row re-reads and re-writes its leaves (the system time of a
    // 200,000-id first sync grew 35-fold over 20,000). In key order a page walks each index once.
    std::sort(page.records.stock_levels.begin(), page.records.stock_levels.end(),
              [](const StockLevel& a, const StockLevel& b) {
                  return std::tie(a.external_id, a.warehouse) <
                         std::tie(b.external_id, b.warehouse);
              });
    page.ack = json{{"acks", json::array()}};
    if (options_.ack) {
        for (const AckItem& a : acks) page.ack["acks"].push_back(ack_json(a));
        // Acknowledged ids are not offered again: what they carried must survive a power cut.
        page.records.durable = !acks.empty();
    }
    co_return page;
}

// A rate-limited acknowledgement was refused before the ERP acted on it, so sending it again is
// safe: it is retried as the retry policy says. Other failures are not resent (whether the ERP
// applied them is unknown, and its idempotency is undocumented): the ERP re-delivers those ids.
boost::asio::awaitable<Result<json>> StockStream::acknowledge(const json& ack,
                                                              std::int64_t& requests) {
    for (int failures = 1;; ++failures) {
        std::string method = ack.at("method").get<std::string>();
        std::string body = ack.at("body").get<std::string>();
        auto r = co_await client_->call(std::move(method), std::move(body), requests);
        if (r.ok() || r.error().kind != ErrorKind::rate_limited) co_return r;
        const RetryDecision decision = retry_.decide(r.error(), failures, random_);
        if (!decision.retry) co_return r;
        logger_.warn("acknowledgement rate limited ({}), retry {} in {} ms", r.error().message,
                     failures, decision.delay.count());
        co_await clock_.sleep_for(decision.delay);
    }
}

boost::asio::awaitable<Status> StockStream::after_commit(Page& page) {
    if (!options_.ack) co_return Status{};
    const json* acks = member(page.ack, "acks");
    if (!acks || !acks->is_array()) co_return Status{};
    std::size_t next = 0;
    std::size_t failed = 0;
    bool refused = false;
    std::optional<Error> first;
    // Each id is its own call; a few in flight at once keep the round trips from adding up.
    // Each sender takes the next acknowledgement until none is left or one was refused.
    auto sender = [&]() -> boost::asio::awaitable<void> {
        while (next < acks->size() && !refused) {
            const json& a = (*acks)[next++];
            auto r = co_await acknowledge(a, page.requests);
            if (r.ok()) continue;
            ++failed;
            if (!first) first = r.error();
            // A refused credential or request refuses the rest too; a rate limit that outlasted
            // its retries, or a transient failure, is this acknowledgement's alone.
            const ErrorKind k = r.error().kind;
            if (k == ErrorKind::auth || k == ErrorKind::config || k == ErrorKind::cancelled) {
                refused = true;
            }
        }
    };
    {
        using namespace boost::asio::experimental::awaitable_operators;
        static_assert(kAcksInFlight == 4);
        co_await (sender() && sender() && sender() && sender());
    }
    if (!first) co_return Status{};
    failed += acks->size() - next;  // not sent: the platform re-delivers them
    Error e = *first;
    e.message = std::to_string(failed) + " of " + std::to_string(acks->size()) +
                " acknowledgements not done (the platform re-delivers them); first: " + e.message;
    co_return e;
}

}  // namespace

Result<WaitList> parse_wait_list(const json& data) {
    WaitList out;
    // `data` is optional in the envelope: an empty queue may answer {"status":0} alone.
    if (data.is_null()) return out;
    if (!data.is_object()) {
        return Error::bad_response("wangdiantong getSelfWaitSyncIdListOpen: data is not an object");
    }
    const json* list = member(data, "id_list");
    if (list == nullptr || list->is_null()) {
        return Error::bad_response("wangdiantong getSelfWaitSyncIdListOpen: no id_list");
    }
    if (!list->is_array()) {
        return Error::bad_response("wangdiantong getSelfWaitSyncIdListOpen: id_list is not a list");
    }
    std::set<std::int64_t> seen;
    out.listed = list->size();
    for (const json& v : *list) {
        auto id = id_of(v);
        if (!id) {
            return Error::bad_response("wangdiantong getSelfWaitSyncIdListOpen: id_list holds " +
                                       v.dump() + ", not a rec_id");
        }
        if (seen.insert(*id).second) out.ids.push_back(*id);
    }
    if (const json* p = member(data, "position"); p && !p->is_null()) {
        auto pos = json_int(data, "position");
        if (!pos) {
            return Error::bad_response("wangdiantong getSelfWaitSyncIdListOpen: position " +
                                       p->dump() + " is not an integer");
        }
        out.position = *pos;
    }
    return out;
}

Result<StockLevel> map_stock_record(const json& record, const TimeZone& zone) {
    if (!record.is_object()) return Error::bad_response("stock record is not an object");
    StockLevel l;
    auto id = json_int(record, "rec_id");
    if (!id) return Error::bad_response("stock record has no integer rec_id");
    l.external_id = std::to_string(*id);
    auto qty = json_decimal(record, "syn_stock");
    if (!qty)
        return Error::bad_response("stock record " + l.external_id +
                                   ": syn_stock is not a decimal");
    l.quantity = *qty;
    auto changes = json_int(record, "stock_change_count");
    if (!changes) {
        return Error::bad_response("stock record " + l.external_id +
                                   ": stock_change_count is not an integer");
    }
    l.change_count = *changes;
    l.sku = json_text(record, "match_code").value_or("");
    if (const json* m = member(record, "modified"); m && !m->is_null()) {
        if (m->is_string()) {
            const auto& s = m->get_ref<const std::string&>();
            if (!s.empty() && s.rfind("0000-00-00", 0) != 0) {
                l.source_modified_at = parse_naive(s, zone);
                if (!l.source_modified_at) {
                    return Error::bad_response("stock record " + l.external_id + ": modified '" +
                                               s + "' is not yyyy-MM-dd HH:mm:ss");
                }
            }
        } else if (auto ms = json_int(record, "modified")) {
            l.source_modified_at = UtcTime{std::chrono::seconds{*ms / 1000}};
        }
    }
    l.raw_json = record.dump();
    return l;
}

std::string ack_info(const json& record, bool success, std::string_view result) {
    ObjectWriter w;
    for (const char* k : {"syn_stock", "stock_change_count", "stock_syn_rule_id"}) {
        w.number_from(k, member(record, k));
    }
    if (auto t = json_text(record, "stock_syn_rule_no")) w.str("stock_syn_rule_no", *t);
    w.str("stock_syn_other", "");
    if (auto t = json_text(record, "stock_syn_warehouses")) w.str("stock_syn_warehouses", *t);
    for (const char* k : {"stock_syn_mask", "stock_syn_percent", "stock_syn_plus", "stock_syn_min",
                          "stock_syn_max", "is_auto_listing", "is_auto_delisting"}) {
        w.number_from(k, member(record, k));
    }
    w.num("is_syn_success", success ? 1 : 0);
    w.num("is_manual", 1);
    w.str("syn_result", result);
    return w.finish();
}

std::string ack_info_without_record(std::string_view result) {
    ObjectWriter w;
    w.num("stock_change_count", -1);
    w.str("stock_syn_other", "");
    w.num("is_syn_success", 0);
    w.num("is_manual", 1);
    w.str("syn_result", result);
    return w.finish();
}

boost::asio::awaitable<Result<json>> Client::call(std::string method, std::string body,
                                                  std::int64_t& requests, Reader reader) {
    PlatformCall steps;
    steps.build = [&](const std::string&) -> Result<HttpRequest> {
        HttpRequest req =
            build_request(account_.base_url, creds_, method, body, unix_seconds(clock_));
        req.timeout = account_.request_timeout;
        return req;
    };
    steps.read = [this, &reader](const HttpResponse& response) -> Result<json> {
        if (!reader) return read_envelope(response, unix_seconds(clock_));
        if (Status read = reader(response, unix_seconds(clock_)); !read.ok()) return read.error();
        return json();
    };
    auto data = co_await call_platform(http_, nullptr, steps, requests);
    if (!data.ok()) {
        Error e = data.error();
        e.message = scrub("wangdiantong " + method + ": " + e.message);
        co_return e;
    }
    co_return data;
}

std::string Client::scrub(std::string text) const {
    for (const std::string* secret :
         {&creds_.appsecret, &creds_.secret, &creds_.salt, &creds_.key}) {
        if (secret->empty()) continue;
        for (const std::string& form : {*secret, form_encode(*secret)}) {
            for (std::size_t pos = text.find(form); pos != std::string::npos;
                 pos = text.find(form, pos + 3)) {
                text.replace(pos, form.size(), "***");
            }
        }
    }
    return text;
}

StockStreamOptions stock_stream_options(const AccountConfig& account, const StreamConfig& stream) {
    StockStreamOptions o;
    o.count = stream.page_size > 0 ? stream.page_size : 500;
    o.count = std::clamp(o.count, kMinCount, kMaxCount);
    if (auto n = stream.integer_option("calc_batch_size"); n && *n > 0) {
        o.calc_batch_size = static_cast<std::size_t>(std::min<std::int64_t>(*n, kMaxCount));
    }
    const std::string ack = account.option("ack", "true");
    o.ack = !(ack == "false" || ack == "0" || ack == "no" || ack == "off");
    return o;
}

StreamSyncPtr make_stock_stream(std::shared_ptr<Client> client, TimeZone zone,
                                StockStreamOptions options, log::Logger logger, Clock& clock,
                                Random& random) {
    return std::make_unique<StockStream>(std::move(client), std::move(zone), options,
                                         std::move(logger), clock, random);
}

}  // namespace csync::wangdiantong
