#include "sunsky/orders.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/digest.hpp"
#include "core/json_util.hpp"
#include "log/log.hpp"
#include "sunsky/caller.hpp"
#include "sunsky/mapping.hpp"

namespace csync::sunsky {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

constexpr int kMaxDays = 3650;

std::optional<std::int64_t> int_field(const json& object, const char* name) {
    auto it = object.find(name);
    if (it == object.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
}

std::optional<LocalDay> day_field(const json& object, const char* name) {
    auto it = object.find(name);
    if (it == object.end() || !it->is_string()) return std::nullopt;
    return parse_day(it->get<std::string>());
}

}  // namespace

std::string format_day(LocalDay day) { return format_time(LocalTime{day}).substr(0, 10); }

std::optional<LocalDay> parse_day(std::string_view text) {
    if (text.size() != 10) return std::nullopt;
    auto t = parse_time(text);
    if (!t) return std::nullopt;
    return std::chrono::floor<std::chrono::days>(*t);
}

Result<OrdersCursor> OrdersCursor::from_json(const json& cursor) {
    OrdersCursor c;
    if (cursor.is_null()) return c;
    const auto malformed = [&](const std::string& what) {
        return Error::config("orders cursor is malformed (" + what +
                             "): reset it with `commerce-syncd reset-cursor ACCOUNT orders`");
    };
    if (!cursor.is_object()) return malformed("not an object");
    if (cursor.contains("recent_from")) {
        c.recent_from = day_field(cursor, "recent_from");
        if (!c.recent_from) return malformed("recent_from");
    }
    if (cursor.contains("recheck_due")) {
        c.recheck_due = int_field(cursor, "recheck_due");
        if (!c.recheck_due) return malformed("recheck_due");
    }
    if (auto open = cursor.find("open"); open != cursor.end()) {
        if (!open->is_object()) return malformed("open");
        for (const auto& [number, tracked] : open->items()) {
            if (!tracked.is_array() || tracked.size() != 2 || !tracked[0].is_string() ||
                !tracked[1].is_string()) {
                return malformed("open." + number);
            }
            auto day = parse_day(tracked[0].get<std::string>());
            if (!day) return malformed("open." + number);
            c.open[number] = Tracked{*day, tracked[1].get<std::string>()};
        }
    }
    if (cursor.contains("today")) {
        c.today = day_field(cursor, "today");
        auto page = int_field(cursor, "page");
        auto windows = cursor.find("windows");
        if (!c.today || !page || *page < 1 || windows == cursor.end() || !windows->is_array()) {
            return malformed("cycle");
        }
        c.page = *page;
        for (const json& w : *windows) {
            auto day = w.is_string() ? parse_day(w.get<std::string>()) : std::nullopt;
            if (!day) return malformed("windows");
            c.windows.push_back(*day);
        }
        c.rechecking = cursor.value("rechecking", false);
    }
    return c;
}

json OrdersCursor::to_json() const {
    json out = json::object();
    if (recent_from) out["recent_from"] = format_day(*recent_from);
    if (recheck_due) out["recheck_due"] = *recheck_due;
    json tracked = json::object();
    for (const auto& [number, t] : open)
        tracked[number] = json::array({format_day(t.day), t.row_hash});
    out["open"] = std::move(tracked);
    if (today) {
        out["today"] = format_day(*today);
        json days = json::array();
        for (LocalDay d : windows) days.push_back(format_day(d));
        out["windows"] = std::move(days);
        out["page"] = page;
        out["rechecking"] = rechecking;
    }
    return out;
}

void plan_cycle(OrdersCursor& c, LocalDay today, UtcTime now, const OrdersPolicy& policy) {
    using std::chrono::days;
    const LocalDay oldest_tracked = today - days{policy.horizon_days};
    std::erase_if(c.open, [&](const auto& entry) { return entry.second.day < oldest_tracked; });
    const LocalDay backfill_from = today - days{policy.backfill_days};
    // Resume where the previous cycle's today was; never further back than the back-fill, never
    // after today (a clock set back).
    LocalDay from =
        c.recent_from ? std::clamp(*c.recent_from, backfill_from, today) : backfill_from;
    std::set<LocalDay> windows;
    for (LocalDay d = from; d <= today; d += days{1}) windows.insert(d);
    c.rechecking = !c.recheck_due || now.time_since_epoch().count() >= *c.recheck_due;
    if (c.rechecking) {
        for (const auto& [number, tracked] : c.open) windows.insert(tracked.day);
    }
    c.today = today;
    c.windows.assign(windows.begin(), windows.end());
    c.page = 1;
}

bool advance(OrdersCursor& c, std::size_t rows, std::int64_t page_count, UtcTime now,
             const OrdersPolicy& policy) {
    if (rows > 0 && c.page < page_count) {
        ++c.page;
        return false;
    }
    if (!c.windows.empty()) c.windows.erase(c.windows.begin());
    c.page = 1;
    if (!c.windows.empty()) return false;
    c.recent_from = c.today;
    if (c.rechecking) {
        c.recheck_due = now.time_since_epoch().count() + policy.recheck_interval.count();
    }
    c.today.reset();
    c.rechecking = false;
    return true;
}

Result<DayWindowAt> day_window_at(const json& cursor, const AdapterDeps& deps,
                                  const OrdersPolicy& policy) {
    auto parsed = OrdersCursor::from_json(cursor);
    if (!parsed.ok()) return std::move(parsed).error();
    DayWindowAt at{std::move(*parsed),
                   std::chrono::time_point_cast<std::chrono::seconds>(deps.clock.now()), false};
    if (!at.cursor.today) {
        const LocalDay today = std::chrono::floor<std::chrono::days>(deps.zone.to_local(at.now));
        plan_cycle(at.cursor, today, at.now, policy);
        at.started = true;
    }
    return at;
}

std::vector<OptionSpec> orders_options() {
    return {
        {"backfill_days", OptionType::integer, "30",
         "days before today the first cycle reads (order creation dates)"},
        {"horizon_days", OptionType::integer, "30",
         "orders not yet final are re-read until they are this many days old"},
        {"recheck_interval", OptionType::duration, "1800000",
         "how often the creation days of orders not yet final are read again (under a "
         "second: every cycle)"},
    };
}

Result<OrdersPolicy> orders_policy(const StreamConfig& stream) {
    OrdersPolicy p;
    for (auto [name, out] : {std::pair{"backfill_days", &p.backfill_days},
                             std::pair{"horizon_days", &p.horizon_days}}) {
        const auto value = stream.integer_option(name);
        if (!value) continue;
        if (*value < 0 || *value > kMaxDays) {
            return Error::config("stream " + stream.name + ": option " + name + " must be 0 to " +
                                 std::to_string(kMaxDays) + " days, not " + std::to_string(*value));
        }
        *out = static_cast<int>(*value);
    }
    if (auto ms = stream.duration_option("recheck_interval")) {
        p.recheck_interval =
            std::chrono::floor<std::chrono::seconds>(std::max(*ms, std::chrono::milliseconds{0}));
    }
    return p;
}

namespace {

// Pages of one day window; for each row that is new or changed, the order's details.
class OrdersStream final : public StreamSync {
  public:
    OrdersStream(const AdapterDeps& deps, Credentials credentials, const StreamConfig& stream)
        : caller_(deps, std::move(credentials)),
          page_size_(
              std::clamp(stream.page_size > 0 ? stream.page_size : kMaxPageSize, 1, kMaxPageSize)),
          policy_(orders_policy(stream)),
          logger_(log::root().with("account", deps.account.name).with("stream", stream.name)) {}

    awaitable<Result<Page>> fetch_page(const json& cursor) override {
        if (!policy_.ok()) co_return failed_fetch(policy_.error(), caller_.take_sent());
        const AdapterDeps& deps = caller_.deps();
        auto planned = day_window_at(cursor, deps, *policy_);
        if (!planned.ok()) co_return failed_fetch(std::move(planned).error(), caller_.take_sent());
        OrdersCursor& at = planned->cursor;
        const UtcTime now = planned->now;
        if (planned->started) {
            forget_older_than(*at.today - std::chrono::days{policy_->horizon_days});
        }
        const LocalDay day = at.windows.front();
        Params params = {{"gmtCreatedStart", format_day(day)},
                         {"gmtCreatedEnd", format_day(day)},
                         {"page", std::to_string(at.page)},
                         {"pageSize", std::to_string(page_size_)}};
        std::string method = "order!getOrderList";
        auto data = co_await caller_.call(std::move(method), std::move(params));
        if (!data.ok()) co_return failed_fetch(std::move(data).error(), caller_.take_sent());
        auto list = parse_search_page(*data);
        if (!list.ok()) co_return failed_fetch(std::move(list).error(), caller_.take_sent());

        Page page;
        json committed_rows = json::array();
        std::size_t fetched = 0;
        for (const json& row : list->rows) {
            auto number = row.is_object() ? json_text(row, "number") : std::nullopt;
            if (!number || number->empty()) {
                page.records.dead_letters.push_back(
                    DeadLetter{"", row.dump(), "order list row without number"});
                continue;
            }
            const std::string row_hash = content_hash(row.dump());
            if (known_hash(at, *number) == row_hash) continue;
            Params detail_params{{"number", *number}};
            std::string detail_method = "order!getOrderDetails";
            auto details =
                co_await caller_.call(std::move(detail_method), std::move(detail_params));
            ++fetched;
            if (!details.ok()) {
                // A listed order whose details the platform says do not exist is this record's
                // problem, not the stream's.
                if (details.error().kind != ErrorKind::config)
                    co_return failed_fetch(std::move(details).error(), caller_.take_sent());
                page.records.dead_letters.push_back(
                    DeadLetter{"number=" + *number, row.dump(), details.error().describe()});
                continue;
            }
            auto mapped = map_order(*details, deps.zone);
            if (auto* dead = std::get_if<DeadLetter>(&mapped)) {
                page.records.dead_letters.push_back(std::move(*dead));
                continue;
            }
            Order& order = std::get<Order>(mapped);
            if (order.external_id != *number) {
                page.records.dead_letters.push_back(DeadLetter{"number=" + *number, details->dump(),
                                                               "order!getOrderDetails for " +
                                                                   *number + " answered order " +
                                                                   order.external_id});
                continue;
            }
            if (order_is_final(order)) {
                at.open.erase(*number);
            } else {
                at.open[*number] = OrdersCursor::Tracked{day, row_hash};
            }
            committed_rows.push_back(json::array({*number, format_day(day), row_hash}));
            page.records.orders.push_back(std::move(order));
        }
        logger_.debug("order!getOrderList {} page {}: {} rows of {} pages, {} details read",
                      format_day(day), at.page, list->rows.size(), list->page_count, fetched);
        page.cycle_done = advance(at, list->rows.size(), list->page_count, now, *policy_);
        page.next_cursor = at.to_json();
        page.ack = json{{"rows", std::move(committed_rows)}};
        page.requests = caller_.take_sent();
        co_return page;
    }

    // Rows are remembered only once their page committed: a page that fails is fetched again
    // and must fetch the same details again.
    awaitable<Status> after_commit(Page& page) override {
        if (auto rows = page.ack.find("rows"); rows != page.ack.end()) {
            for (const json& r : *rows) {
                auto day = parse_day(r[1].get<std::string>());
                if (day) seen_[r[0].get<std::string>()] = {*day, r[2].get<std::string>()};
            }
        }
        co_return Status{};
    }

  private:
    std::string known_hash(const OrdersCursor& at, const std::string& number) const {
        if (auto it = at.open.find(number); it != at.open.end()) return it->second.row_hash;
        if (auto it = seen_.find(number); it != seen_.end()) return it->second.row_hash;
        return {};
    }

    void forget_older_than(LocalDay oldest) {
        std::erase_if(seen_, [&](const auto& entry) { return entry.second.day < oldest; });
    }

    Caller caller_;
    int page_size_;
    Result<OrdersPolicy> policy_;
    log::Logger logger_;
    std::unordered_map<std::string, OrdersCursor::Tracked> seen_;
};

}  // namespace

StreamSyncPtr make_orders_stream(const AdapterDeps& deps, const Credentials& credentials,
                                 const StreamConfig& stream) {
    return std::make_unique<OrdersStream>(deps, credentials, stream);
}

}  // namespace csync::sunsky
