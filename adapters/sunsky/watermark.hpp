#pragma once
// The gmtModified watermark cursor and the pure rule that moves it (no I/O; unit tested alone).
// Used by every T0 loop of the seed: product!search.do (products) and
// product!getImageChangeList.do (images); watermark_loop.hpp runs it against the platform.
//
// The platform's documented loop (seed, interface 2; shared/platforms/sunsky.md §6) pages
// product!search.do with an inclusive lower bound gmtModifiedStart=T0, results ordered by
// gmtModified: restart at page 1 whenever the page's max gmtModified T is newer than T0, step the
// page while a whole page shares T0, stop on an empty page or past pageCount. Two flaws, and
// how this cursor removes them:
//
// 1. Skips. A record modified while we page through a block of equal timestamps leaves its place
//    for the end of the order; every record behind it shifts down one position, so the record at
//    the next page boundary slides onto the page already read and is never seen. Fix: once the
//    forward walk leaves a block that spanned pages 1..k (page k held the block's end, or came
//    back empty), the same T0 query is read again BACKWARDS, pages k-1 down to 1. Positions only
//    ever move down (a modified record jumps to the end with a newer time, everything behind it
//    moves down), so a record still in the block sits, at the time each page is read, on a page
//    number that never increases, starts <= k and ends >= 1, while the page read decreases by
//    exactly one per step: (record's page - page read) rises by at most one per step from <= 0 to
//    >= 0, so at some step it is 0 and the record is read. Backwards can duplicate, never skip.
//    Records modified meanwhile carry a newer gmtModified and are met later in the cycle.
//    T0 then advances to T of page k (not to anything newer seen in the sweep: records between
//    T and that were not all read), and the inclusive bound re-reads the records at T.
//    Assumed, as the platform's own loop assumes: a modification stamps the platform's current
//    time, and that clock does not run backwards.
// 2. No end. "Repeat until no data" never ends while writes continue, because each modified
//    record reappears at the end with a newer time. Fix: the cursor carries the cycle's start
//    (platform local time); when T0 advances past it the cycle ends. Every record older than T0
//    has been read, so the cycle lost nothing, and the next cycle resumes at T0. A process that
//    resumes a committed mid-cycle cursor moves the start up to its own first call (see
//    ProductsStream), so `sync-once` always catches up to the moment it started. T0 rises by at
//    least a second per advance and a block at a time before the cycle start can only grow
//    during that one second, so the cycle ends even while records keep changing.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/error.hpp"

namespace csync::sunsky {

struct WatermarkCursor {
    enum class Phase { forward, backward };

    LocalTime t0{};         // gmtModifiedStart, the platform's local time
    std::int64_t page = 1;  // 1-based
    Phase phase = Phase::forward;
    std::optional<LocalTime> next_t0;      // backward sweep: the T0 to move to afterwards
    std::optional<LocalTime> cycle_start;  // set on the first page of a cycle
    // The stored watermark a cycle reached back from (lookback): the cycle never ends below it,
    // so the stored T0 never moves back however often an empty cycle repeats.
    std::optional<LocalTime> floor_t0;

    // {"t0":"MM/dd/yyyy HH:mm:ss","page":N,"phase":"forward"|"backward"
    //  [,"next_t0":"MM/dd/yyyy HH:mm:ss"][,"cycle_start":"MM/dd/yyyy HH:mm:ss"]
    //  [,"floor_t0":"MM/dd/yyyy HH:mm:ss"]}
    nlohmann::json to_json() const;
    // null -> the initial cursor at `initial_t0`. A malformed cursor is a config error (fix it
    // with `commerce-syncd reset-cursor`).
    static Result<WatermarkCursor> from_json(const nlohmann::json& j, LocalTime initial_t0);
};
using ProductsCursor = WatermarkCursor;  // the products stream's name for it

// What one page of product!search.do showed.
struct PageSeen {
    std::size_t rows = 0;
    std::optional<LocalTime> max_modified;  // over the rows carrying a valid gmtModified
    std::int64_t page_count = 0;
};

struct WatermarkStep {
    ProductsCursor next;
    bool cycle_done = false;
};

// `at` is the cursor the page was fetched with; its cycle_start must be set.
WatermarkStep next_step(const ProductsCursor& at, const PageSeen& seen);

}  // namespace csync::sunsky
