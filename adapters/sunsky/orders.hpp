#pragma once
// The Sunsky `orders` stream. order!getOrderList.do filters by creation DAY only
// (gmtCreatedStart/gmtCreatedEnd, "MM/dd/yyyy", both inclusive, in the platform's zone), while an
// order's status, packing and tracking keep changing for days. So a cycle reads day windows:
//   * the days from the previous cycle's "today" up to this cycle's today (a cycle that straddles
//     local midnight re-reads the day that just ended: nothing created at 23:59 is missed, and
//     one-day windows never overlap, so nothing is read twice);
//   * the first cycle instead back-fills `backfill_days` days;
//   * every `recheck_interval`, also the creation days of the orders not yet final (status 1, 2,
//     3), until they are final or older than `horizon_days`.
// A list row is fetched in full (order!getOrderDetails.do) only when the order is new to the
// stream or its row changed; the rows of tracked orders are remembered in the cursor (open
// orders) and in memory after their page committed (final orders).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/config.hpp"
#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/platform_spec.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "sunsky/protocol.hpp"

namespace csync::sunsky {

inline constexpr const char* kOrdersStream = "orders";

using LocalDay = std::chrono::local_days;

// "MM/dd/yyyy", the form of gmtCreatedStart/gmtCreatedEnd.
std::string format_day(LocalDay day);
std::optional<LocalDay> parse_day(std::string_view text);

struct OrdersPolicy {
    int backfill_days = 30;  // the first cycle reads today and this many days before it
    int horizon_days = 30;   // open orders created longer ago are no longer re-read
    std::chrono::seconds recheck_interval{1800};
};

struct OrdersCursor {
    // An order the stream follows: its creation day and the hash of its last list row.
    struct Tracked {
        LocalDay day{};
        std::string row_hash;
        bool operator==(const Tracked&) const = default;
    };

    // Kept across cycles.
    std::optional<LocalDay> recent_from;      // the first day the next cycle reads
    std::map<std::string, Tracked> open;      // orders not final, by number
    std::optional<std::int64_t> recheck_due;  // unix seconds: when the open days are due again

    // The cycle in progress (today unset: none).
    std::optional<LocalDay> today;
    std::vector<LocalDay> windows;  // days still to read, ascending; the first is being read
    std::int64_t page = 1;
    bool rechecking = false;

    static Result<OrdersCursor> from_json(const nlohmann::json& cursor);
    nlohmann::json to_json() const;
};

// Starts a cycle on `today` (the platform's local date) at `now`.
void plan_cycle(OrdersCursor& cursor, LocalDay today, UtcTime now, const OrdersPolicy& policy);

// Moves past one list page of the current window (`rows` rows of `page_count` pages). Returns
// true when that ended the cycle.
bool advance(OrdersCursor& cursor, std::size_t rows, std::int64_t page_count, UtcTime now,
             const OrdersPolicy& policy);

// A day-window stream's cursor at `now`, with a cycle planned on the platform's local today when
// none runs (`started` then true). Shared by the orders and account streams.
struct DayWindowAt {
    OrdersCursor cursor;
    UtcTime now{};
    bool started = false;
};
Result<DayWindowAt> day_window_at(const nlohmann::json& cursor, const AdapterDeps& deps,
                                  const OrdersPolicy& policy);

// The stream's options as declared in the platform spec.
std::vector<OptionSpec> orders_options();
Result<OrdersPolicy> orders_policy(const StreamConfig& stream);

StreamSyncPtr make_orders_stream(const AdapterDeps& deps, const Credentials& credentials,
                                 const StreamConfig& stream);

}  // namespace csync::sunsky
