#pragma once
// Time as stored: UTC, second precision, ISO-8601 text ("2023-09-23T02:01:02Z").
// Platforms send naive local times; an account's zone (IANA name or fixed offset) converts them
// explicitly. The implementation uses Howard Hinnant's date (GCC 12 has no std::chrono tzdb).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "csync/error.hpp"

namespace csync {

using UtcTime = std::chrono::sys_seconds;
using LocalTime = std::chrono::local_seconds;  // a naive wall-clock time in some zone

std::string format_utc_iso(UtcTime t);                   // 2023-09-23T02:01:02Z
std::optional<UtcTime> parse_utc_iso(std::string_view);  // accepts ...Z and ...+hh:mm

// The naive wall-clock time these fields name, or nullopt when one is out of range (month 13,
// February 29th of a common year, hour 24, a 60th second or minute; negative values): the one
// range check of every platform's timestamp reader, whatever its field order.
std::optional<LocalTime> local_time_from_fields(int year, int month, int day, int hour, int minute,
                                                int second);

// An account's zone: "Asia/Shanghai", "UTC", "+08:00", "-05:30".
class TimeZone {
  public:
    static Result<TimeZone> from_name(std::string_view name);
    static TimeZone utc();

    // A naive local time in this zone -> UTC. Ambiguous (DST fold) picks the earlier instant,
    // nonexistent (DST gap) moves forward: a sync cursor must never skip a record.
    UtcTime to_utc(LocalTime local) const;
    LocalTime to_local(UtcTime utc) const;
    const std::string& name() const noexcept { return name_; }

  private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;
    std::string name_;
};

}  // namespace csync
