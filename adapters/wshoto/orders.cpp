#include "wshoto/orders.hpp"

#include <algorithm>
#include <utility>

#include <date/date.h>

#include "core/json_util.hpp"
#include "wshoto/adapter.hpp"
#include "wshoto/wire.hpp"

namespace csync::wshoto {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr std::int64_t kMillisFrom = 100'000'000'000;  // 13-digit Unix times are milliseconds
constexpr const char* kTimeText = "%Y-%m-%d %H:%M:%S";

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "yyyy-MM-dd HH:mm:ss", strictly (two-digit fields, a valid date).
std::optional<LocalTime> parse_local(std::string_view text) {
    if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' ||
        text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    auto number = [&](std::size_t at, std::size_t len) -> int {
        const std::string_view part = text.substr(at, len);
        return all_digits(part) ? std::stoi(std::string(part)) : -1;
    };
    return local_time_from_fields(number(0, 4), number(5, 2), number(8, 2), number(11, 2),
                                  number(14, 2), number(17, 2));
}

std::string format_local(LocalTime t) {
    return date::format(kTimeText, date::sys_seconds{t.time_since_epoch()});
}

std::string id_text(const json& object, std::string_view key) {
    auto it = object.find(key);
    if (it == object.end()) return {};
    return json_scalar_text(*it).value_or("");
}

std::optional<UtcTime> iso_field(const json& j, const char* key) {
    auto text = json_text(j, key);
    return text ? parse_utc_iso(*text) : std::nullopt;
}

}  // namespace

Result<MoneyUnit> parse_money_unit(std::string_view text, std::string_view option) {
    if (text == "yuan") return MoneyUnit::yuan;
    if (text == "fen") return MoneyUnit::fen;
    return Error::config("wshoto option `" + std::string(option) + "`: `" + std::string(text) +
                         "` is not a money unit (expected yuan or fen)");
}

std::optional<Decimal> money_field(const json& object, std::string_view key, MoneyUnit unit) {
    auto value = json_decimal(object, key);
    if (!value || unit == MoneyUnit::yuan) return value;
    // Fen -> yuan: the decimal point moves two places left, exactly.
    std::string text = value->text();
    std::string sign;
    if (text.front() == '-') {
        sign = "-";
        text.erase(0, 1);
    }
    const auto dot = text.find('.');
    std::string whole = text.substr(0, dot);
    const std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
    if (whole.size() < 3) whole.insert(0, 3 - whole.size(), '0');
    const std::size_t split = whole.size() - 2;
    return Decimal::parse(sign + whole.substr(0, split) + "." + whole.substr(split) + frac);
}

Result<TimeFormat> parse_time_format(std::string_view text, std::string_view option) {
    if (text == "text") return TimeFormat::text;
    if (text == "seconds") return TimeFormat::seconds;
    if (text == "millis") return TimeFormat::millis;
    return Error::config("wshoto option `" + std::string(option) + "`: `" + std::string(text) +
                         "` is not a time format (expected text, seconds or millis)");
}

std::optional<UtcTime> time_field(const json& object, std::string_view key, const TimeZone& zone) {
    auto text = object.is_object() ? json_text(object, key) : std::nullopt;
    if (!text || text->empty()) return std::nullopt;
    if (all_digits(*text)) {
        if (text->size() > 18) return std::nullopt;
        const std::int64_t n = std::stoll(*text);
        if (n == 0) return std::nullopt;
        return UtcTime{std::chrono::seconds{n >= kMillisFrom ? n / 1000 : n}};
    }
    auto local = parse_local(*text);
    if (!local) return std::nullopt;
    return zone.to_utc(*local);
}

json wire_time(UtcTime t, TimeFormat format, const TimeZone& zone) {
    const std::int64_t seconds = t.time_since_epoch().count();
    switch (format) {
        case TimeFormat::seconds:
            return seconds;
        case TimeFormat::millis:
            return seconds * 1000;
        case TimeFormat::text:
            break;
    }
    return format_local(zone.to_local(t));
}

std::vector<OptionSpec> orders_options() {
    return {
        {"lookback", OptionType::duration, "300000",
         "each window starts this long before the previous one ended (orders the platform "
         "stamps late are read again)"},
        {"backfill", OptionType::duration, "2592000000",
         "how far back (by update time) the first cycle reads"},
        {"unit", OptionType::string, "yuan",
         "money unit of the order amounts: yuan (decimals, as the list shows) or fen"},
        {"time_format", OptionType::string, "text",
         "how start_time/end_time are sent: text (yyyy-MM-dd HH:mm:ss in the account's zone), "
         "seconds or millis (Unix)"},
    };
}

Result<OrdersPolicy> orders_policy(const StreamConfig& stream) {
    OrdersPolicy p;
    if (auto ms = stream.duration_option("lookback")) {
        p.lookback = std::chrono::floor<std::chrono::seconds>(*ms);
    }
    if (auto ms = stream.duration_option("backfill")) {
        p.backfill = std::chrono::floor<std::chrono::seconds>(*ms);
    }
    if (auto it = stream.options.find("unit"); it != stream.options.end()) {
        auto unit = parse_money_unit(it->second, "unit");
        if (!unit.ok()) return unit.error();
        p.unit = *unit;
    }
    if (auto it = stream.options.find("time_format"); it != stream.options.end()) {
        auto format = parse_time_format(it->second, "time_format");
        if (!format.ok()) return format.error();
        p.time_format = *format;
    }
    return p;
}

Result<OrdersCursor> OrdersCursor::from_json(const json& cursor) {
    OrdersCursor c;
    if (cursor.is_null()) return c;
    const auto bad = [&](const std::string& why) {
        return Error::config("the orders cursor is not one this version wrote (" + why +
                             "): reset it with `commerce-syncd reset-cursor ACCOUNT orders`");
    };
    if (!cursor.is_object()) return bad("not an object");
    if (cursor.contains("watermark")) {
        c.watermark = iso_field(cursor, "watermark");
        if (!c.watermark) return bad("watermark");
    }
    c.use_post = json_text(cursor, "method").value_or("GET") == "POST";
    if (auto it = cursor.find("window"); it != cursor.end() && !it->is_null()) {
        const json& w = *it;
        if (!w.is_object()) return bad("window");
        auto start = iso_field(w, "start");
        auto end = iso_field(w, "end");
        const std::int64_t index = json_int(w, "index").value_or(0);
        if (!start || !end || index < 1) return bad("window");
        OrderWindow window;
        window.start = *start;
        window.end = *end;
        window.index = index;
        window.rows = json_int(w, "rows").value_or(0);
        window.total = json_int(w, "total").value_or(-1);
        window.restarts = static_cast<int>(json_int(w, "restarts").value_or(0));
        window.unsettled = json_bool(w, "unsettled").value_or(false);
        c.window = window;
    }
    return c;
}

json OrdersCursor::to_json() const {
    json out = json::object();
    if (watermark) out["watermark"] = format_utc_iso(*watermark);
    out["method"] = use_post ? "POST" : "GET";
    if (window) {
        out["window"] = json{{"start", format_utc_iso(window->start)},
                             {"end", format_utc_iso(window->end)},
                             {"index", window->index},
                             {"rows", window->rows},
                             {"total", window->total},
                             {"restarts", window->restarts},
                             {"unsettled", window->unsettled}};
    }
    return out;
}

OrderWindow plan_window(const std::optional<UtcTime>& watermark, UtcTime now,
                        const OrdersPolicy& policy) {
    OrderWindow w;
    w.end = std::chrono::floor<std::chrono::seconds>(now);
    w.start = watermark ? *watermark - policy.lookback : w.end - policy.backfill;
    w.start = std::min(w.start, w.end);
    return w;
}

json order_list_body(const OrderWindow& window, int page_size, TimeFormat format,
                     const TimeZone& zone) {
    return json{{"type", kUpdateTimeFilter},
                {"start_time", wire_time(window.start - std::chrono::seconds{1}, format, zone)},
                {"end_time", wire_time(window.end, format, zone)},
                {"current_index", window.index},
                {"page_size", page_size}};
}

std::variant<Order, DeadLetter> map_order(const json& record, MoneyUnit unit,
                                          const TimeZone& zone) {
    const std::string code = record.is_object() ? id_text(record, "order_code") : "";
    if (code.empty()) return DeadLetter{"", record.dump(), "mall order without order_code"};
    Order o;
    o.external_id = code;
    o.source_modified_at = time_field(record, "update_time", zone);
    if (!o.source_modified_at) {
        return DeadLetter{"order_code=" + code, record.dump(),
                          "mall order without a readable update_time"};
    }
    o.platform_status = id_text(record, "status");
    o.currency = "CNY";
    o.total_amount = money_field(record, "pay_price", unit);
    o.subtotal_amount = money_field(record, "total_price", unit);
    o.shipping_cost = money_field(record, "freight_price", unit);
    o.created_at = time_field(record, "create_time", zone);
    o.paid_at = time_field(record, "pay_time", zone);
    o.shipped_at = time_field(record, "send_time", zone);
    o.tracking_number = json_text(record, "express_no").value_or("");
    o.shipping_way = json_text(record, "express_name").value_or("");
    // The status codes are not documented; the times the record carries say what happened.
    if (time_field(record, "close_time", zone)) {
        o.status = OrderStatus::cancelled;
    } else if (time_field(record, "finish_time", zone)) {
        o.status = OrderStatus::completed;
    } else if (o.shipped_at) {
        o.status = OrderStatus::shipped;
    } else if (o.paid_at || id_text(record, "pay_status") == "1") {
        o.status = OrderStatus::paid;
    } else {
        o.status = OrderStatus::pending;
    }
    if (auto lines = record.find("detail_list"); lines != record.end() && lines->is_array()) {
        std::int64_t n = 0;
        for (const json& l : *lines) {
            ++n;
            if (!l.is_object()) continue;
            OrderLine line;
            line.line_id = id_text(l, "order_detail_id");
            if (line.line_id.empty()) line.line_id = std::to_string(n);
            line.sku = id_text(l, "sku_no");
            if (line.sku.empty()) line.sku = id_text(l, "sku_id");
            line.title = json_text(l, "goods_name").value_or("");
            line.quantity = json_decimal(l, "goods_num").value_or(Decimal{});
            line.unit_price = money_field(l, "goods_price", unit);
            line.amount = money_field(l, "pay_price", unit);
            if (!line.amount) line.amount = money_field(l, "total_price", unit);
            o.lines.push_back(std::move(line));
        }
    }
    o.raw_json = record.dump();
    return o;
}

namespace {

class OrdersStream final : public StreamSync {
  public:
    OrdersStream(std::shared_ptr<Client> client, TimeZone zone, Clock& clock,
                 const StreamConfig& stream, log::Logger logger)
        : client_(std::move(client)),
          zone_(std::move(zone)),
          clock_(clock),
          page_size_(stream.page_size > 0 ? std::min(stream.page_size, kMaxPageSize)
                                          : kMaxPageSize),
          policy_(orders_policy(stream)),
          logger_(std::move(logger)) {}

    asio::awaitable<Result<Page>> fetch_page(const json& cursor) override {
        if (!policy_.ok()) co_return policy_.error();
        auto parsed = OrdersCursor::from_json(cursor);
        if (!parsed.ok()) co_return parsed.error();
        OrdersCursor c = std::move(*parsed);
        Page page;
        if (!c.window) {
            const UtcTime now = std::chrono::floor<std::chrono::seconds>(clock_.now());
            c.window = plan_window(c.watermark, now, *policy_);
            logger_.debug("orders: window [{}, {})", format_utc_iso(c.window->start),
                          format_utc_iso(c.window->end));
        }
        OrderWindow& w = *c.window;
        if (w.start >= w.end) {
            // Nothing to read (the clock stands at or before the watermark).
            c.window.reset();
            page.cycle_done = true;
            page.next_cursor = c.to_json();
            co_return page;
        }
        auto data = co_await list(order_list_body(w, page_size_, policy_->time_format, zone_), c,
                                  page.requests);
        if (!data.ok()) co_return failed_fetch(data.error(), page.requests);
        auto listed = read_numbered_page(*data, "orders");
        if (!listed.ok()) co_return failed_fetch(listed.error(), page.requests);
        const json& records = listed->records;
        const std::int64_t total = listed->total;
        for (const json& record : records) {
            auto mapped = map_order(record, policy_->unit, zone_);
            if (auto* letter = std::get_if<DeadLetter>(&mapped)) {
                page.records.dead_letters.push_back(std::move(*letter));
                continue;
            }
            Order& order = std::get<Order>(mapped);
            // Outside [start, end): another window's row (see orders.hpp).
            if (!in_window(w, *order.source_modified_at)) continue;
            page.records.orders.push_back(std::move(order));
        }
        w.rows += static_cast<std::int64_t>(records.size());
        if (w.index == 1) {
            w.total = total;
        } else if (total != w.total && w.restarts >= kMaxWindowRestarts) {
            // Still moving: read on to the larger total (an empty page ends the window), but a
            // row that shifted past a page boundary may be missing, so the watermark stays.
            logger_.warn(
                "orders: the window's total keeps changing ({} -> {}); reading on, the next "
                "cycle reads it again",
                w.total, total);
            w.total = std::max(w.total, total);
            w.unsettled = true;
        } else if (total != w.total) {
            // Rows moved between pages while the window was read: read it again from page 1.
            logger_.info("orders: the window's total went from {} to {}; reading it again", w.total,
                         total);
            ++w.restarts;
            w.index = 1;
            w.rows = 0;
            w.total = -1;
            page.next_cursor = c.to_json();
            co_return page;
        }
        if (records.empty() || (w.total >= 0 && w.rows >= w.total)) {
            if (!w.unsettled) c.watermark = w.end;
            c.window.reset();
            page.cycle_done = true;
        } else {
            ++w.index;
        }
        page.next_cursor = c.to_json();
        co_return page;
    }

    std::optional<UtcTime> watermark(const json& cursor) const override {
        auto parsed = OrdersCursor::from_json(cursor);
        if (!parsed.ok()) return std::nullopt;
        return parsed->watermark;
    }

  private:
    // The list call: GET with the body as documented; POST once the platform refused that.
    asio::awaitable<Result<json>> list(json body, OrdersCursor& c, std::int64_t& requests) {
        if (!c.use_post && !client_->get_body_refused()) {
            bool refused = false;
            const Client::Reader reader =
                [&refused, codes = client_->codes()](const HttpResponse& r) -> Result<json> {
                if (r.status == 405 || r.status == 501) {
                    refused = true;
                    return Error::bad_response("wshoto orders: HTTP " + std::to_string(r.status) +
                                               " to GET with a body");
                }
                return read_envelope(r, codes, kOrderListPath);
            };
            std::string get = "GET";
            auto data =
                co_await client_->call(kOrderListPath, body, requests, reader, std::move(get));
            if (!refused) co_return data;
            logger_.warn("orders: the platform refused GET with a JSON body; using POST for {}",
                         kOrderListPath);
            client_->refuse_get_body();
        }
        c.use_post = true;
        // Named arguments: GCC 12 destroys a braced temporary coroutine argument twice.
        Client::Reader envelope_reader;
        std::string post = "POST";
        co_return co_await client_->call(kOrderListPath, std::move(body), requests,
                                         std::move(envelope_reader), std::move(post));
    }

    std::shared_ptr<Client> client_;
    TimeZone zone_;
    Clock& clock_;
    int page_size_;
    Result<OrdersPolicy> policy_;
    log::Logger logger_;
};

}  // namespace

StreamSyncPtr make_orders_stream(std::shared_ptr<Client> client, const TimeZone& zone, Clock& clock,
                                 const StreamConfig& stream, log::Logger logger) {
    return std::make_unique<OrdersStream>(std::move(client), zone, clock, stream,
                                          std::move(logger));
}

}  // namespace csync::wshoto
