#include "csync/domain/time.hpp"

#include <cstdio>
#include <stdexcept>

#include <date/date.h>
#include <date/tz.h>

namespace csync {

struct TimeZone::Impl {
    const date::time_zone* zone = nullptr;  // IANA zone, or
    std::chrono::seconds offset{0};         // a fixed offset when zone is null
};

namespace {

// "+08:00", "-05:30", "+0800", "UTC+8" is not accepted: be strict, a wrong zone silently shifts
// every timestamp.
std::optional<std::chrono::seconds> parse_fixed_offset(std::string_view s) {
    if (s.size() != 6 && s.size() != 5) return std::nullopt;
    if (s[0] != '+' && s[0] != '-') return std::nullopt;
    auto digit = [&](std::size_t i) -> int {
        return (s[i] >= '0' && s[i] <= '9') ? s[i] - '0' : -1;
    };
    int h1 = digit(1), h2 = digit(2);
    std::size_t m = s.size() == 6 ? 4 : 3;
    if (s.size() == 6 && s[3] != ':') return std::nullopt;
    int m1 = digit(m), m2 = digit(m + 1);
    if (h1 < 0 || h2 < 0 || m1 < 0 || m2 < 0) return std::nullopt;
    int hours = h1 * 10 + h2, minutes = m1 * 10 + m2;
    if (hours > 14 || minutes > 59) return std::nullopt;
    std::chrono::seconds off{hours * 3600 + minutes * 60};
    return s[0] == '-' ? -off : off;
}

}  // namespace

std::optional<LocalTime> local_time_from_fields(int year, int month, int day, int hour, int minute,
                                                int second) {
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
        return std::nullopt;
    }
    const std::chrono::year_month_day ymd{std::chrono::year{year},
                                          std::chrono::month{static_cast<unsigned>(month)},
                                          std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) return std::nullopt;
    return LocalTime{std::chrono::local_days{ymd}.time_since_epoch() + std::chrono::hours{hour} +
                     std::chrono::minutes{minute} + std::chrono::seconds{second}};
}

Result<TimeZone> TimeZone::from_name(std::string_view name) {
    TimeZone tz;
    tz.name_ = std::string(name);
    auto impl = std::make_shared<Impl>();
    if (name == "UTC" || name == "Z" || name == "Etc/UTC") {
        impl->offset = std::chrono::seconds{0};
    } else if (auto off = parse_fixed_offset(name)) {
        impl->offset = *off;
    } else {
        try {
            impl->zone = date::locate_zone(std::string(name));
        } catch (const std::exception& e) {
            return Error::config("unknown time zone '" + std::string(name) +
                                 "': use an IANA name such as Asia/Shanghai or a fixed offset "
                                 "such as +08:00");
        }
    }
    tz.impl_ = std::move(impl);
    return tz;
}

TimeZone TimeZone::utc() {
    TimeZone tz;
    tz.name_ = "UTC";
    tz.impl_ = std::make_shared<Impl>();
    return tz;
}

UtcTime TimeZone::to_utc(LocalTime local) const {
    if (!impl_ || !impl_->zone) {
        std::chrono::seconds off = impl_ ? impl_->offset : std::chrono::seconds{0};
        return UtcTime{local.time_since_epoch() - off};
    }
    date::local_seconds ls{local.time_since_epoch()};
    auto info = impl_->zone->get_info(ls);
    date::sys_seconds sys;
    switch (info.result) {
        case date::local_info::unique:
        case date::local_info::ambiguous:  // the earlier instant: never skip past a record
            sys = date::sys_seconds{ls.time_since_epoch() - info.first.offset};
            break;
        case date::local_info::nonexistent:  // in a DST gap: the transition instant
        default:
            sys = info.first.end;
            break;
    }
    return UtcTime{sys.time_since_epoch()};
}

LocalTime TimeZone::to_local(UtcTime utc) const {
    if (!impl_ || !impl_->zone) {
        std::chrono::seconds off = impl_ ? impl_->offset : std::chrono::seconds{0};
        return LocalTime{utc.time_since_epoch() + off};
    }
    date::sys_seconds ss{utc.time_since_epoch()};
    auto info = impl_->zone->get_info(ss);
    return LocalTime{utc.time_since_epoch() + info.offset};
}

std::string format_utc_iso(UtcTime t) {
    // The store formats a time for every row it writes: digits by hand, not date::format's
    // ostringstream (a stream built and torn down per call showed in the first-sync profile).
    const date::sys_seconds at{t.time_since_epoch()};
    const auto day = date::floor<date::days>(at);
    const date::year_month_day ymd{day};
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) return date::format("%Y-%m-%dT%H:%M:%SZ", at);
    const date::hh_mm_ss hms{at - day};
    std::string text = "0000-00-00T00:00:00Z";
    const auto put = [&text](std::size_t pos, unsigned value, int digits) {
        for (int i = digits - 1; i >= 0; --i, value /= 10) text[pos + i] = char('0' + value % 10);
    };
    put(0, static_cast<unsigned>(year), 4);
    put(5, static_cast<unsigned>(ymd.month()), 2);
    put(8, static_cast<unsigned>(ymd.day()), 2);
    put(11, static_cast<unsigned>(hms.hours().count()), 2);
    put(14, static_cast<unsigned>(hms.minutes().count()), 2);
    put(17, static_cast<unsigned>(hms.seconds().count()), 2);
    return text;
}

std::optional<UtcTime> parse_utc_iso(std::string_view text) {
    int y, mo, d, h, mi, s;
    char tail[8] = {0};
    std::string str(text);
    int n = std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%7s", &y, &mo, &d, &h, &mi, &s, tail);
    if (n < 6) return std::nullopt;
    date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                             date::day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return std::nullopt;
    auto base = date::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                std::chrono::seconds{s};
    std::string_view z(tail);
    std::chrono::seconds off{0};
    if (n == 6 || z == "Z") {
        // UTC
    } else if (auto o = parse_fixed_offset(z)) {
        off = *o;
    } else {
        return std::nullopt;
    }
    return UtcTime{base.time_since_epoch() - off};
}

}  // namespace csync
