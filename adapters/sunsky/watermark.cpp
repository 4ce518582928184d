#include "sunsky/watermark.hpp"

#include "sunsky/protocol.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

WatermarkStep done_at(LocalTime t0) {
    WatermarkStep s;
    s.next.t0 = t0;  // page 1, forward, no cycle start: the next cycle starts afresh
    s.cycle_done = true;
    return s;
}

WatermarkStep advance_to(const ProductsCursor& at, LocalTime t) {
    if (at.cycle_start && t > *at.cycle_start) return done_at(t);
    WatermarkStep s;
    s.next.t0 = t;
    s.next.cycle_start = at.cycle_start;
    return s;
}

WatermarkStep sweep_back(const ProductsCursor& at, std::optional<LocalTime> then) {
    WatermarkStep s;
    s.next = at;
    s.next.page = at.page - 1;
    s.next.phase = ProductsCursor::Phase::backward;
    s.next.next_t0 = then;
    return s;
}

Result<LocalTime> time_field(const json& j, const char* name) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
        return Error::config(std::string("products cursor: '") + name + "' missing or not text");
    }
    auto t = parse_time(it->get<std::string>());
    if (!t) {
        return Error::config(std::string("products cursor: '") + name +
                             "' is not MM/dd/yyyy HH:mm:ss: " + it->get<std::string>());
    }
    return *t;
}

}  // namespace

json ProductsCursor::to_json() const {
    json j = {{"t0", format_time(t0)},
              {"page", page},
              {"phase", phase == Phase::forward ? "forward" : "backward"}};
    if (next_t0) j["next_t0"] = format_time(*next_t0);
    if (cycle_start) j["cycle_start"] = format_time(*cycle_start);
    if (floor_t0) j["floor_t0"] = format_time(*floor_t0);
    return j;
}

Result<ProductsCursor> ProductsCursor::from_json(const json& j, LocalTime initial_t0) {
    ProductsCursor c;
    if (j.is_null()) {
        c.t0 = initial_t0;
        return c;
    }
    if (!j.is_object()) return Error::config("products cursor is not a JSON object: " + j.dump());
    auto t0 = time_field(j, "t0");
    if (!t0.ok()) return std::move(t0).error();
    c.t0 = *t0;
    if (auto it = j.find("page"); it != j.end()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
            return Error::config("products cursor: 'page' must be an integer >= 1");
        }
        c.page = it->get<std::int64_t>();
    }
    if (auto it = j.find("phase"); it != j.end()) {
        if (*it == "forward") {
            c.phase = Phase::forward;
        } else if (*it == "backward") {
            c.phase = Phase::backward;
        } else {
            return Error::config("products cursor: unknown phase " + it->dump());
        }
    }
    if (j.contains("next_t0")) {
        auto t = time_field(j, "next_t0");
        if (!t.ok()) return std::move(t).error();
        c.next_t0 = *t;
    }
    if (j.contains("cycle_start")) {
        auto t = time_field(j, "cycle_start");
        if (!t.ok()) return std::move(t).error();
        c.cycle_start = *t;
    }
    if (j.contains("floor_t0")) {
        auto t = time_field(j, "floor_t0");
        if (!t.ok()) return std::move(t).error();
        c.floor_t0 = *t;
    }
    return c;
}

namespace {

WatermarkStep unbounded_step(const ProductsCursor& at, const PageSeen& seen) {
    if (at.phase == ProductsCursor::Phase::backward) {
        if (at.page > 1) return sweep_back(at, at.next_t0);
        // The sweep is complete: the block at T0 has been read in full.
        return at.next_t0 ? advance_to(at, *at.next_t0) : done_at(at.t0);
    }
    if (seen.rows == 0) {
        // Past the end: everything from T0 on was on the pages already read.
        return at.page > 1 ? sweep_back(at, std::nullopt) : done_at(at.t0);
    }
    // Rows without a valid gmtModified (dead-lettered) must not move T0: count them as T0.
    const LocalTime t =
        seen.max_modified && *seen.max_modified > at.t0 ? *seen.max_modified : at.t0;
    if (t == at.t0) {
        // The whole page shares T0: step the page, unless it was the last one.
        if (at.page >= seen.page_count) {
            return at.page > 1 ? sweep_back(at, std::nullopt) : done_at(at.t0);
        }
        WatermarkStep s;
        s.next = at;
        s.next.page = at.page + 1;
        return s;
    }
    // The block at T0 ends on this page.
    if (at.page > 1) return sweep_back(at, t);
    // Page 1 held the whole block, and everything newer up to T. When it was also the last page,
    // every record from T0 on has been read.
    if (at.page >= seen.page_count) return done_at(t);
    return advance_to(at, t);
}

}  // namespace

WatermarkStep next_step(const ProductsCursor& at, const PageSeen& seen) {
    WatermarkStep s = unbounded_step(at, seen);
    if (!s.cycle_done) {
        s.next.floor_t0 = at.floor_t0;
    } else {
        // A cycle that reached back by the lookback and found nothing newer ends where the
        // stored watermark was, never below it.
        if (at.floor_t0 && s.next.t0 < *at.floor_t0) s.next.t0 = *at.floor_t0;
        s.next.floor_t0.reset();
    }
    return s;
}

}  // namespace csync::sunsky
