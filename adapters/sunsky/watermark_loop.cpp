#include "sunsky/watermark_loop.hpp"

#include <algorithm>
#include <utility>

#include "sunsky/adapter.hpp"
#include "sunsky/mapping.hpp"

namespace csync::sunsky {

using boost::asio::awaitable;
using nlohmann::json;

// The stream option `modified_since`: where a first cycle starts. A malformed value fails
// every fetch with a config error rather than silently syncing from another date.
Result<LocalTime> modified_since(const StreamConfig& stream) {
    auto it = stream.options.find("modified_since");
    const std::string text =
        it == stream.options.end() || it->second.empty() ? kDefaultModifiedSince : it->second;
    if (auto t = parse_time(text)) return *t;
    return Error::config("stream " + stream.name + ": option modified_since '" + text +
                         "' is not MM/dd/yyyy HH:mm:ss");
}

// The stream option `lookback` (milliseconds, see OptionSpec): how far before its stored T0 each
// cycle starts reading. The platform stamps gmtModified when a write begins; a write that becomes
// visible later than a cycle that already passed its stamp would otherwise be missed for good.
// Records read again unchanged cost only last_seen_at.
std::chrono::seconds lookback(const StreamConfig& stream) {
    // Whole seconds, rounded up: the platform's times have no fraction.
    const auto ms = stream.duration_option("lookback").value_or(std::chrono::milliseconds{0});
    return std::chrono::ceil<std::chrono::seconds>(std::max(ms, std::chrono::milliseconds{0}));
}

WatermarkLoop::WatermarkLoop(Caller& caller, std::string method, const StreamConfig& stream,
                             int page_size, log::Logger logger)
    : caller_(caller),
      method_(std::move(method)),
      page_size_(page_size),
      initial_t0_(modified_since(stream)),
      lookback_(lookback(stream)),
      logger_(std::move(logger)) {}

std::optional<UtcTime> WatermarkLoop::watermark(const json& cursor) const {
    if (cursor.is_null() || !initial_t0_.ok()) return std::nullopt;
    auto parsed = WatermarkCursor::from_json(cursor, *initial_t0_);
    if (!parsed.ok()) return std::nullopt;
    return caller_.deps().zone.to_utc(parsed->t0);
}

awaitable<Result<WatermarkPage>> WatermarkLoop::next(const json& cursor, Params extra) {
    std::vector<json> rows;
    const auto now = [this] { return caller_.deps().clock.now(); };
    auto page = co_await next_read(
        cursor, std::move(extra), [&rows, &now](const HttpResponse& response) -> Result<PageSeen> {
            auto data = parse_envelope(response, now());
            if (!data.ok()) return std::move(data).error();
            auto listed = parse_search_page(*data);
            if (!listed.ok()) return std::move(listed).error();
            PageSeen seen;
            seen.rows = listed->rows.size();
            seen.page_count = listed->page_count;
            for (const json& row : listed->rows) {
                if (auto t = modified_time(row);
                    t && (!seen.max_modified || *t > *seen.max_modified)) {
                    seen.max_modified = *t;
                }
            }
            rows = std::move(listed->rows);
            return seen;
        });
    if (page.ok()) page->rows = std::move(rows);
    co_return page;
}

awaitable<Result<WatermarkPage>> WatermarkLoop::next_read(const json& cursor, Params extra,
                                                          PageReader read) {
    if (!initial_t0_.ok()) co_return initial_t0_.error();
    auto parsed = WatermarkCursor::from_json(cursor, *initial_t0_);
    if (!parsed.ok()) co_return std::move(parsed).error();
    WatermarkCursor at = *parsed;
    const AdapterDeps& deps = caller_.deps();
    // A cycle's first page (a committed cursor without a cycle start) reaches back by the
    // lookback; within a cycle the cursor is followed exactly.
    if (!at.cycle_start && at.phase == WatermarkCursor::Phase::forward && at.page == 1 &&
        lookback_.count() > 0) {
        at.floor_t0 = at.t0;
        at.t0 -= lookback_;
    }
    // The cycle's start is when THIS process began the cycle: a cursor committed by an
    // earlier process (killed, or a failed cycle) carries an older start, and ending at it
    // would leave out what changed since. Only ever moving the start later is safe: it
    // decides when a cycle ends, never what it reads.
    if (!cycle_start_) {
        cycle_start_ = deps.zone.to_local(
            std::chrono::time_point_cast<std::chrono::seconds>(deps.clock.now()));
    }
    if (!at.cycle_start || *at.cycle_start < *cycle_start_) at.cycle_start = cycle_start_;
    Params params = std::move(extra);
    params.emplace_back("gmtModifiedStart", format_time(at.t0));
    params.emplace_back("page", std::to_string(at.page));
    params.emplace_back("pageSize", std::to_string(page_size_));
    // Arguments are named before co_await (GCC 12 and temporaries in co_await expressions).
    std::string method = method_;
    PageSeen seen;
    std::function<Status(const HttpResponse&)> read_into = [&](const HttpResponse& response) {
        auto got = read(response);
        if (!got.ok()) return Status(std::move(got).error());
        seen = *got;
        return Status{};
    };
    auto called = co_await caller_.call_read(std::move(method), std::move(params), read_into);
    if (!called.ok()) {
        cycle_start_.reset();  // a failed cycle's successor starts afresh
        co_return called.error();
    }
    WatermarkStep step = next_step(at, seen);
    WatermarkPage out;
    out.next_cursor = step.next.to_json();
    out.cycle_done = step.cycle_done;
    if (step.cycle_done) cycle_start_.reset();  // the next call begins the next cycle
    logger_.debug("{} t0={} page={} {}: {} rows of {} pages", method_, format_time(at.t0), at.page,
                  at.phase == WatermarkCursor::Phase::forward ? "forward" : "backward", seen.rows,
                  seen.page_count);
    co_return out;
}

}  // namespace csync::sunsky
