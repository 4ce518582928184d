#pragma once
// What every part of the SQLite store shares: cached statements used safely, the schema's
// conventions for binding values (absent text is NULL, money exact text, times UTC ISO-8601 text)
// and for reading them back. Internal to src/store.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include "csync/domain/decimal.hpp"
#include "csync/domain/time.hpp"

namespace csync::store::sqlite {

using SQLite::Statement;

// A cached statement, reset before and after each use: a statement left mid-result would keep
// a read snapshot open (blocking WAL checkpoints) and refuse new bindings.
class Use {
  public:
    explicit Use(Statement& statement) : s_(statement) { s_.tryReset(); }
    ~Use() { s_.tryReset(); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    Statement* operator->() { return &s_; }
    Statement& operator*() { return s_; }

  private:
    Statement& s_;
};

// Text the platform did not send is stored as NULL (the schema's convention).
inline void bind_text_or_null(Statement& s, int index, const std::string& value) {
    if (value.empty()) {
        s.bind(index);
    } else {
        s.bind(index, value);
    }
}

inline void bind_time(Statement& s, int index, const std::optional<UtcTime>& value) {
    if (value) {
        s.bind(index, format_utc_iso(*value));
    } else {
        s.bind(index);
    }
}

inline void bind_decimal(Statement& s, int index, const std::optional<Decimal>& value) {
    if (value) {
        s.bind(index, value->text());
    } else {
        s.bind(index);
    }
}

inline void bind_int(Statement& s, int index, const std::optional<std::int64_t>& value) {
    if (value) {
        s.bind(index, static_cast<std::int64_t>(*value));
    } else {
        s.bind(index);
    }
}

inline std::optional<std::string> text_column(const SQLite::Column& c) {
    if (c.isNull()) {
        return std::nullopt;
    }
    return c.getString();
}

inline std::optional<UtcTime> time_column(const SQLite::Column& c) {
    if (c.isNull()) {
        return std::nullopt;
    }
    return parse_utc_iso(c.getText());
}

inline UtcTime to_utc_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::floor<std::chrono::seconds>(t);
}

inline nlohmann::json column_json(const SQLite::Column& c) {
    if (c.isInteger()) {
        return c.getInt64();
    }
    if (c.isFloat()) {
        return c.getDouble();
    }
    if (c.isNull()) {
        return nullptr;
    }
    return c.getString();  // TEXT (the schema has no BLOB column)
}

}  // namespace csync::store::sqlite
