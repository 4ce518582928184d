// The products cursor and the pure rule that moves it (see adapters/sunsky/watermark.hpp).
#include <gtest/gtest.h>

#include "sunsky/protocol.hpp"
#include "sunsky/watermark.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;
using Phase = ProductsCursor::Phase;

LocalTime t(const char* text) { return *parse_time(text); }

ProductsCursor at(const char* t0, std::int64_t page, Phase phase = Phase::forward) {
    ProductsCursor c;
    c.t0 = t(t0);
    c.page = page;
    c.phase = phase;
    c.cycle_start = t("06/01/2024 12:00:00");
    return c;
}

PageSeen seen(std::size_t rows, std::optional<const char*> max, std::int64_t page_count) {
    PageSeen s;
    s.rows = rows;
    if (max) s.max_modified = t(*max);
    s.page_count = page_count;
    return s;
}

TEST(SunskyCursor, JsonShapeUsesThePlatformsTimeFormat) {
    ProductsCursor c = at("10/31/2013 01:23:20", 3, Phase::backward);
    c.next_t0 = t("10/31/2013 01:25:00");
    const json j = c.to_json();
    EXPECT_EQ(j, json::parse(R"({"t0":"10/31/2013 01:23:20","page":3,"phase":"backward",
                                 "next_t0":"10/31/2013 01:25:00","cycle_start":"06/01/2024 12:00:00"})"));
    auto back = ProductsCursor::from_json(j, t("01/01/2000 00:00:00"));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->to_json(), j);
}

TEST(SunskyCursor, NullIsTheInitialCursorAndGarbageIsAConfigError) {
    auto initial = ProductsCursor::from_json(nullptr, t("01/01/2000 00:00:00"));
    ASSERT_TRUE(initial.ok());
    EXPECT_EQ(initial->to_json(),
              json::parse(R"({"t0":"01/01/2000 00:00:00","page":1,"phase":"forward"})"));
    for (const char* bad : {R"([])", R"({"page":1})", R"({"t0":"2024-01-01"})",
                            R"({"t0":"01/01/2024 00:00:00","page":0})",
                            R"({"t0":"01/01/2024 00:00:00","phase":"sideways"})"}) {
        auto r = ProductsCursor::from_json(json::parse(bad), t("01/01/2000 00:00:00"));
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().kind, ErrorKind::config) << bad;
    }
}

TEST(SunskyWatermark, NewerPageRestartsAtPageOneFromItsMax) {
    auto s = next_step(at("01/01/2024 00:00:00", 1), seen(100, "01/02/2024 00:00:00", 30));
    EXPECT_FALSE(s.cycle_done);
    EXPECT_EQ(s.next.t0, t("01/02/2024 00:00:00"));
    EXPECT_EQ(s.next.page, 1);
    EXPECT_EQ(s.next.phase, Phase::forward);
    EXPECT_EQ(s.next.cycle_start, t("06/01/2024 12:00:00"));
}

TEST(SunskyWatermark, AWholePageAtT0StepsThePage) {
    auto s = next_step(at("01/01/2024 00:00:00", 2), seen(100, "01/01/2024 00:00:00", 5));
    EXPECT_FALSE(s.cycle_done);
    EXPECT_EQ(s.next.t0, t("01/01/2024 00:00:00"));
    EXPECT_EQ(s.next.page, 3);
    EXPECT_EQ(s.next.phase, Phase::forward);
}

TEST(SunskyWatermark, LeavingAMultiPageBlockSweepsItBackwardsThenAdvances) {
    auto s = next_step(at("01/01/2024 00:00:00", 3), seen(100, "01/03/2024 00:00:00", 9));
    EXPECT_FALSE(s.cycle_done);
    EXPECT_EQ(s.next.page, 2);
    EXPECT_EQ(s.next.phase, Phase::backward);
    EXPECT_EQ(s.next.t0, t("01/01/2024 00:00:00"));
    ASSERT_TRUE(s.next.next_t0);
    EXPECT_EQ(*s.next.next_t0, t("01/03/2024 00:00:00"));

    // Backwards, whatever the page shows (even newer records), one page at a time...
    auto s2 = next_step(s.next, seen(100, "06/01/2024 11:00:00", 9));
    EXPECT_EQ(s2.next.page, 1);
    EXPECT_EQ(s2.next.phase, Phase::backward);
    EXPECT_EQ(*s2.next.next_t0, t("01/03/2024 00:00:00"));
    // ...then to the T of the page that ended the block, page 1, forward.
    auto s3 = next_step(s2.next, seen(100, "01/01/2024 00:00:00", 9));
    EXPECT_FALSE(s3.cycle_done);
    EXPECT_EQ(s3.next.t0, t("01/03/2024 00:00:00"));
    EXPECT_EQ(s3.next.page, 1);
    EXPECT_EQ(s3.next.phase, Phase::forward);
    EXPECT_FALSE(s3.next.next_t0);
}

TEST(SunskyWatermark, AnEmptyPageAfterABlockSweepsBackThenEndsAtT0) {
    auto s = next_step(at("01/01/2024 00:00:00", 4), seen(0, std::nullopt, 3));
    EXPECT_EQ(s.next.phase, Phase::backward);
    EXPECT_EQ(s.next.page, 3);
    EXPECT_FALSE(s.next.next_t0);
    ProductsCursor c = s.next;
    c.page = 1;
    auto end = next_step(c, seen(100, "01/01/2024 00:00:00", 3));
    EXPECT_TRUE(end.cycle_done);
    EXPECT_EQ(end.next.to_json(),
              json::parse(R"({"t0":"01/01/2024 00:00:00","page":1,"phase":"forward"})"));
}

TEST(SunskyWatermark, TheLastPageEndsTheCycle) {
    // A last page holding only T0 records, after earlier pages of the block: sweep back first.
    auto s = next_step(at("01/01/2024 00:00:00", 2), seen(40, "01/01/2024 00:00:00", 2));
    EXPECT_EQ(s.next.phase, Phase::backward);
    EXPECT_EQ(s.next.page, 1);
    // A single last page: everything from T0 on was read; the cursor moves to its max.
    auto single = next_step(at("01/01/2024 00:00:00", 1), seen(40, "01/05/2024 00:00:00", 1));
    EXPECT_TRUE(single.cycle_done);
    EXPECT_EQ(single.next.t0, t("01/05/2024 00:00:00"));
    EXPECT_FALSE(single.next.cycle_start);
    auto empty = next_step(at("01/01/2024 00:00:00", 1), seen(0, std::nullopt, 0));
    EXPECT_TRUE(empty.cycle_done);
    EXPECT_EQ(empty.next.t0, t("01/01/2024 00:00:00"));
}

TEST(SunskyWatermark, PassingTheCycleStartEndsTheCycle) {
    auto s = next_step(at("06/01/2024 11:59:59", 1), seen(100, "06/01/2024 12:00:01", 7));
    EXPECT_TRUE(s.cycle_done);
    EXPECT_EQ(s.next.to_json(),
              json::parse(R"({"t0":"06/01/2024 12:00:01","page":1,"phase":"forward"})"));
    // Reaching the cycle start itself is not passing it.
    auto same = next_step(at("06/01/2024 11:59:59", 1), seen(100, "06/01/2024 12:00:00", 7));
    EXPECT_FALSE(same.cycle_done);
}

TEST(SunskyWatermark, RowsWithoutTimesNeverMoveT0Backwards) {
    auto s = next_step(at("01/01/2024 00:00:00", 1), seen(100, std::nullopt, 3));
    EXPECT_EQ(s.next.t0, t("01/01/2024 00:00:00"));
    EXPECT_EQ(s.next.page, 2);
    auto older = next_step(at("01/01/2024 00:00:00", 1), seen(100, "12/31/2023 00:00:00", 3));
    EXPECT_EQ(older.next.t0, t("01/01/2024 00:00:00"));
    EXPECT_EQ(older.next.page, 2);
}

}  // namespace
}  // namespace csync::sunsky
