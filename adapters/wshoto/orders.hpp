#pragma once
// The Wshoto `orders` stream: /openapi/mall/order/list with type 3 (update time) over half-open
// windows [start, end) of whole UTC seconds.
//   * A cycle's window ends where the clock stood when the cycle started (floored to the second,
//     never ahead of it) and is frozen in the cursor, so a restart finishes the same window.
//   * It starts `lookback` before the previous window's end (the watermark); the first cycle
//     reaches back `backfill`.
//   * The platform's edge semantics are not documented (is end_time inclusive? start_time?), so
//     the request asks for one second more on both sides and the stream keeps only the rows
//     whose update_time lies in [start, end): a row on an edge belongs to exactly one window
//     under every reading, and the next window (which starts at or before this end) reads it.
//   * Pages are numbered (current_index from 1). The platform may serve fewer rows than asked
//     (an undocumented page-size limit), so a short page does not end the window; an empty page
//     or reaching the first page's `total` does. A `total` that changes while the window is
//     read (an order moved out of or into it: rows shifted between pages) restarts the window
//     from page 1, at most kMaxWindowRestarts times; after that the window is read on to the
//     larger total but the watermark does not move (a shifted row may be missing), so the next
//     cycle reads the whole range again.
//   * The list is documented as GET with a JSON body; an HTTP 405/501 answer to that switches
//     the account to POST for the rest of the process and the stream records it in its cursor.
//   * Amounts are in `unit` (yuan: decimals as the list shows them, or fen: integer minor units,
//     divided by 100 exactly); times are "yyyy-MM-dd HH:mm:ss" in the account's zone (Asia/
//     Shanghai), or Unix seconds or milliseconds, converted to UTC explicitly.
//
// cursor: {"watermark":"<UTC ISO>","method":"GET"|"POST",
//          "window":{"start":..,"end":..,"index":N,"rows":R,"total":T,"restarts":K,
//                    "unsettled":B}}

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "csync/config.hpp"
#include "csync/domain/records.hpp"
#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/platform_spec.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "log/log.hpp"

namespace csync::wshoto {

class Client;

inline constexpr const char* kOrdersStream = "orders";
inline constexpr std::string_view kOrderListPath = "/openapi/mall/order/list";
// type 3: filter by update time.
inline constexpr int kUpdateTimeFilter = 3;
inline constexpr int kMaxWindowRestarts = 3;

// How a money field is sent.
enum class MoneyUnit { yuan, fen };
// "yuan" | "fen" -> the unit; anything else -> config naming `option`.
Result<MoneyUnit> parse_money_unit(std::string_view text, std::string_view option);
// A money value of `unit` as yuan, exactly ("1999" fen -> "19.99"); nullopt when absent or not
// a number.
std::optional<Decimal> money_field(const nlohmann::json& object, std::string_view key,
                                   MoneyUnit unit);

// How the platform's start_time/end_time are written.
enum class TimeFormat { text, seconds, millis };
Result<TimeFormat> parse_time_format(std::string_view text, std::string_view option);
// A record's time field: "yyyy-MM-dd HH:mm:ss" (in `zone`), Unix seconds, or Unix milliseconds
// (13 digits); nullopt when absent, empty, 0 or unreadable.
std::optional<UtcTime> time_field(const nlohmann::json& object, std::string_view key,
                                  const TimeZone& zone);
// A request time in `format` ("2024-05-01 08:00:00" local, or a Unix number).
nlohmann::json wire_time(UtcTime t, TimeFormat format, const TimeZone& zone);

struct OrdersPolicy {
    std::chrono::seconds lookback{300};
    std::chrono::seconds backfill{30 * 24 * 3600};
    MoneyUnit unit = MoneyUnit::yuan;
    TimeFormat time_format = TimeFormat::text;
};
std::vector<OptionSpec> orders_options();
Result<OrdersPolicy> orders_policy(const StreamConfig& stream);

struct OrderWindow {
    UtcTime start{};
    UtcTime end{};  // exclusive
    std::int64_t index = 1;
    std::int64_t rows = 0;    // rows the window's pages held so far (inside or outside it)
    std::int64_t total = -1;  // the first page's total; -1: no page read yet
    int restarts = 0;
    bool unsettled = false;  // the total moved after the last restart: keep the watermark
    bool operator==(const OrderWindow&) const = default;
};

struct OrdersCursor {
    std::optional<UtcTime> watermark;  // the end of the last window read completely
    bool use_post = false;             // the platform refused GET with a body
    std::optional<OrderWindow> window;

    static Result<OrdersCursor> from_json(const nlohmann::json& cursor);
    nlohmann::json to_json() const;
};

// The window a cycle starting at `now` reads: [watermark - lookback, floor(now)), or
// [floor(now) - backfill, floor(now)) without a watermark. The start never passes the end (a
// clock set back gives an empty window).
OrderWindow plan_window(const std::optional<UtcTime>& watermark, UtcTime now,
                        const OrdersPolicy& policy);

// order/list's body for page `window.index`: type 3, start_time = start - 1 s, end_time = end
// (see above), current_index, page_size.
nlohmann::json order_list_body(const OrderWindow& window, int page_size, TimeFormat format,
                               const TimeZone& zone);

// Whether update_time `t` belongs to the window.
inline bool in_window(const OrderWindow& w, UtcTime t) { return t >= w.start && t < w.end; }

// One list record -> an order with its lines (detail_list). Normalized status from the times
// the record carries (close_time: cancelled, finish_time: completed, send_time: shipped,
// pay_time or pay_status 1: paid, else pending); platform_status keeps `status`. A record
// without order_code or update_time -> DeadLetter.
std::variant<Order, DeadLetter> map_order(const nlohmann::json& record, MoneyUnit unit,
                                          const TimeZone& zone);

StreamSyncPtr make_orders_stream(std::shared_ptr<Client> client, const TimeZone& zone, Clock& clock,
                                 const StreamConfig& stream, log::Logger logger);

}  // namespace csync::wshoto
