// Decimal canonical forms and rejections; time zones (IANA, fixed offsets, DST gap and fold);
// UTC ISO-8601 formatting and parsing.

#include <chrono>
#include <string>

#include <date/date.h>
#include <gtest/gtest.h>

#include "csync/domain/decimal.hpp"
#include "csync/domain/time.hpp"

namespace csync {
namespace {

using namespace std::chrono_literals;
using std::chrono::local_days;
using std::chrono::sys_days;

std::string canonical(std::string_view text) {
    auto d = Decimal::parse(text);
    return d ? d->text() : "<rejected>";
}

TEST(Decimal, DefaultIsZero) { EXPECT_EQ(Decimal().text(), "0"); }

TEST(Decimal, DropsTrailingFractionalZerosAndLeadingIntegerZeros) {
    EXPECT_EQ(canonical("2.6600"), "2.66");
    EXPECT_EQ(canonical("550.0000"), "550");
    EXPECT_EQ(canonical("100"), "100");
    EXPECT_EQ(canonical("007.50"), "7.5");
    EXPECT_EQ(canonical("0.0001"), "0.0001");
    EXPECT_EQ(canonical("0.10"), "0.1");
    EXPECT_EQ(canonical("000"), "0");
}

TEST(Decimal, SignsAreCanonical) {
    EXPECT_EQ(canonical("-0.5"), "-0.5");
    EXPECT_EQ(canonical("+3"), "3");
    EXPECT_EQ(canonical("+3.10"), "3.1");
    EXPECT_EQ(canonical("-12.000"), "-12");
    // Negative zero is zero: "-0.00" and "0" must compare equal.
    EXPECT_EQ(canonical("-0"), "0");
    EXPECT_EQ(canonical("-0.000"), "0");
    EXPECT_EQ(Decimal::parse("-0.00"), Decimal::parse("0"));
}

TEST(Decimal, KeepsEveryDigitOfLongValues) {
    // Beyond double precision: a double would round these.
    EXPECT_EQ(canonical("12345678901234567890.123456789012345"),
              "12345678901234567890.123456789012345");
    EXPECT_EQ(canonical("0.1000000000000000055511151231257827"),
              "0.1000000000000000055511151231257827");
}

TEST(Decimal, EqualityIsOnCanonicalValue) {
    EXPECT_EQ(Decimal::parse("2.66"), Decimal::parse("2.6600"));
    EXPECT_NE(Decimal::parse("2.66"), Decimal::parse("2.67"));
    EXPECT_NE(Decimal::parse("-1"), Decimal::parse("1"));
}

TEST(Decimal, RejectsAnythingButPlainDecimalText) {
    for (const char* bad : {"",         "+",    "-",    ".",     "+.",
                            "1e5",      "1E-2", "NaN",  "nan",   "inf",
                            "Infinity", " 1",   "1 ",   "1,000", "1.2.3",
                            "--1",      "+-1",  "0x10", "1_000", "\xef\xbc\x91" /* fullwidth 1 */,
                            "1.5\n"}) {
        EXPECT_FALSE(Decimal::parse(bad).has_value()) << "accepted '" << bad << "'";
    }
}

// --- TimeZone ---------------------------------------------------------------------------------

LocalTime local(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    return LocalTime{local_days{std::chrono::year{y} / m / d}.time_since_epoch() +
                     std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss}};
}

UtcTime utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    return UtcTime{sys_days{std::chrono::year{y} / m / d}.time_since_epoch() +
                   std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss}};
}

TimeZone zone(std::string_view name) {
    auto tz = TimeZone::from_name(name);
    EXPECT_TRUE(tz.ok()) << name << ": " << (tz.ok() ? "" : tz.error().describe());
    return tz.ok() ? *tz : TimeZone::utc();
}

TEST(TimeZone, IanaAsiaShanghaiIsUtcPlusEight) {
    TimeZone tz = zone("Asia/Shanghai");
    EXPECT_EQ(tz.name(), "Asia/Shanghai");
    EXPECT_EQ(tz.to_utc(local(2023, 9, 23, 10, 1, 2)), utc(2023, 9, 23, 2, 1, 2));
    EXPECT_EQ(tz.to_local(utc(2023, 9, 23, 2, 1, 2)), local(2023, 9, 23, 10, 1, 2));
    // Across midnight: local early morning is the previous UTC day.
    EXPECT_EQ(tz.to_utc(local(2024, 1, 1, 3, 0, 0)), utc(2023, 12, 31, 19, 0, 0));
}

TEST(TimeZone, FixedOffsets) {
    TimeZone plus8 = zone("+08:00");
    EXPECT_EQ(plus8.name(), "+08:00");
    EXPECT_EQ(plus8.to_utc(local(2023, 9, 23, 10, 1, 2)), utc(2023, 9, 23, 2, 1, 2));
    EXPECT_EQ(plus8.to_local(utc(2023, 9, 23, 2, 1, 2)), local(2023, 9, 23, 10, 1, 2));

    TimeZone minus530 = zone("-05:30");
    EXPECT_EQ(minus530.to_utc(local(2023, 9, 23, 10, 0, 0)), utc(2023, 9, 23, 15, 30, 0));
    EXPECT_EQ(minus530.to_local(utc(2023, 9, 23, 15, 30, 0)), local(2023, 9, 23, 10, 0, 0));

    // The compact form is accepted too.
    EXPECT_EQ(zone("+0800").to_utc(local(2023, 9, 23, 10, 1, 2)), utc(2023, 9, 23, 2, 1, 2));
}

TEST(TimeZone, UtcNamesAndDefault) {
    for (const char* name : {"UTC", "Etc/UTC"}) {
        EXPECT_EQ(zone(name).to_utc(local(2023, 9, 23, 2, 1, 2)), utc(2023, 9, 23, 2, 1, 2))
            << name;
    }
    TimeZone u = TimeZone::utc();
    EXPECT_EQ(u.name(), "UTC");
    EXPECT_EQ(u.to_local(utc(2023, 9, 23, 2, 1, 2)), local(2023, 9, 23, 2, 1, 2));
}

TEST(TimeZone, DstFoldPicksTheEarlierInstant) {
    // 2023-11-05 01:30 happens twice in New York: 05:30Z (EDT) and 06:30Z (EST).
    TimeZone ny = zone("America/New_York");
    EXPECT_EQ(ny.to_utc(local(2023, 11, 5, 1, 30, 0)), utc(2023, 11, 5, 5, 30, 0));
    // Unambiguous times either side of the fold keep their own offsets.
    EXPECT_EQ(ny.to_utc(local(2023, 11, 5, 0, 30, 0)), utc(2023, 11, 5, 4, 30, 0));
    EXPECT_EQ(ny.to_utc(local(2023, 11, 5, 2, 30, 0)), utc(2023, 11, 5, 7, 30, 0));
}

TEST(TimeZone, DstGapMovesToTheTransition) {
    // 2023-03-12 02:00-03:00 does not exist in New York; clocks jumped at 07:00Z.
    TimeZone ny = zone("America/New_York");
    EXPECT_EQ(ny.to_utc(local(2023, 3, 12, 2, 30, 0)), utc(2023, 3, 12, 7, 0, 0));
    EXPECT_EQ(ny.to_utc(local(2023, 3, 12, 2, 0, 0)), utc(2023, 3, 12, 7, 0, 0));
    EXPECT_EQ(ny.to_utc(local(2023, 3, 12, 1, 59, 59)), utc(2023, 3, 12, 6, 59, 59));
    EXPECT_EQ(ny.to_utc(local(2023, 3, 12, 3, 0, 0)), utc(2023, 3, 12, 7, 0, 0));
    // Summer time is UTC-4.
    EXPECT_EQ(ny.to_local(utc(2023, 7, 1, 16, 0, 0)), local(2023, 7, 1, 12, 0, 0));
}

TEST(TimeZone, BadNamesAreConfigErrorsNamingTheZone) {
    for (const char* bad : {"Mars/Olympus_Mons", "", "UTC+8", "+8", "+08:60", "+15:00", "08:00",
                            "+08-00", "asia/shanghai "}) {
        auto tz = TimeZone::from_name(bad);
        ASSERT_FALSE(tz.ok()) << "accepted '" << bad << "'";
        EXPECT_EQ(tz.error().kind, ErrorKind::config) << bad;
        EXPECT_NE(tz.error().message.find("'" + std::string(bad) + "'"), std::string::npos)
            << tz.error().message;
    }
}

// --- ISO-8601 UTC text ------------------------------------------------------------------------

TEST(UtcIso, FormatsSecondPrecisionWithZ) {
    EXPECT_EQ(format_utc_iso(utc(2023, 9, 23, 2, 1, 2)), "2023-09-23T02:01:02Z");
    EXPECT_EQ(format_utc_iso(UtcTime{}), "1970-01-01T00:00:00Z");
}

TEST(UtcIso, FormatsBeforeTheEpochAndAtTheEdgesOfFourDigitYears) {
    EXPECT_EQ(format_utc_iso(UtcTime{std::chrono::seconds{-1}}), "1969-12-31T23:59:59Z");
    EXPECT_EQ(format_utc_iso(utc(1, 1, 1, 0, 0, 0)), "0001-01-01T00:00:00Z");
    EXPECT_EQ(format_utc_iso(utc(9999, 12, 31, 23, 59, 59)), "9999-12-31T23:59:59Z");
    EXPECT_EQ(format_utc_iso(utc(9999, 12, 31, 23, 59, 59) + std::chrono::seconds{1}),
              "10000-01-01T00:00:00Z");
}

TEST(UtcIso, WritesWhatDateFormatWritesAcrossTwoCenturies) {
    // The digits are written by hand; date::format is the reference they must equal.
    for (std::int64_t s = -2'208'988'800; s < 4'102'444'800; s += 86'400 * 7 + 3'600 + 61) {
        const UtcTime t{std::chrono::seconds{s}};
        EXPECT_EQ(format_utc_iso(t),
                  date::format("%Y-%m-%dT%H:%M:%SZ", date::sys_seconds{t.time_since_epoch()}))
            << s;
    }
}

TEST(UtcIso, RoundTrips) {
    for (UtcTime t : {utc(2023, 9, 23, 2, 1, 2), utc(2000, 2, 29, 23, 59, 59), UtcTime{},
                      utc(2038, 1, 19, 3, 14, 8)}) {
        auto back = parse_utc_iso(format_utc_iso(t));
        ASSERT_TRUE(back.has_value()) << format_utc_iso(t);
        EXPECT_EQ(*back, t);
    }
}

TEST(UtcIso, ParsesOffsetsAndNoSuffixAsUtc) {
    EXPECT_EQ(parse_utc_iso("2023-09-23T10:01:02+08:00"), utc(2023, 9, 23, 2, 1, 2));
    EXPECT_EQ(parse_utc_iso("2023-09-22T20:31:02-05:30"), utc(2023, 9, 23, 2, 1, 2));
    EXPECT_EQ(parse_utc_iso("2023-09-23T02:01:02"), utc(2023, 9, 23, 2, 1, 2));
}

TEST(UtcIso, RejectsMalformedText) {
    for (const char* bad :
         {"", "garbage", "2023-09-23", "2023-09-23 02:01:02Z", "2023-02-30T00:00:00Z",
          "2023-13-01T00:00:00Z", "2023-09-23T24:00:00Z", "2023-09-23T02:60:00Z",
          "2023-09-23T02:01:02X", "2023-09-23T02:01:02Zjunk", "2023-09-23T02:01:02+25:00",
          "2023-09-23T-1:00:00Z", "2023-09-23T02:-5:00Z"}) {
        EXPECT_FALSE(parse_utc_iso(bad).has_value()) << "accepted '" << bad << "'";
    }
}

TEST(LocalTimeFromFields, BuildsTheWallClockTimeTheFieldsName) {
    auto t = local_time_from_fields(2024, 2, 29, 23, 59, 59);  // a leap year's Feb 29
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(format_utc_iso(UtcTime{t->time_since_epoch()}), "2024-02-29T23:59:59Z");
    auto first = local_time_from_fields(2024, 1, 1, 0, 0, 0);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(format_utc_iso(UtcTime{first->time_since_epoch()}), "2024-01-01T00:00:00Z");
}

TEST(LocalTimeFromFields, RefusesEveryFieldOutOfRange) {
    EXPECT_FALSE(local_time_from_fields(2023, 2, 29, 12, 0, 0));  // not a leap year
    EXPECT_FALSE(local_time_from_fields(2100, 2, 29, 12, 0, 0));  // a century, not a leap year
    EXPECT_TRUE(local_time_from_fields(2000, 2, 29, 12, 0, 0));   // every 400 years, a leap year
    EXPECT_FALSE(local_time_from_fields(2024, 4, 31, 12, 0, 0));
    EXPECT_FALSE(local_time_from_fields(2024, 13, 1, 12, 0, 0));
    EXPECT_FALSE(local_time_from_fields(2024, 0, 1, 12, 0, 0));
    EXPECT_FALSE(local_time_from_fields(2024, 1, 0, 12, 0, 0));
    EXPECT_FALSE(local_time_from_fields(2024, 1, 1, 24, 0, 0));  // 24:00 is the next day's 00:00
    EXPECT_FALSE(local_time_from_fields(2024, 1, 1, 23, 60, 0));
    EXPECT_FALSE(local_time_from_fields(2024, 1, 1, 23, 59, 60));  // no leap seconds
    EXPECT_FALSE(local_time_from_fields(-1, 1, 1, 0, 0, 0));       // a field that was not digits
    EXPECT_FALSE(local_time_from_fields(2024, 1, 1, -1, 0, 0));
}

}  // namespace
}  // namespace csync
