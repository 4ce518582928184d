#pragma once
// What a store's page writer keeps while it applies one page, the same on every backend: each
// record's outcome, the figures apply_page returns, and the test hook that fails the page inside
// its transaction after a given number of rows.

#include <optional>
#include <stdexcept>
#include <string>

#include "csync/ports/store.hpp"

namespace csync::store {

enum class Outcome { inserted, updated, unchanged };

// The `changes.op` of a written record.
inline const char* op_of(Outcome outcome) {
    return outcome == Outcome::inserted ? "insert" : "update";
}

struct PageTally {
    explicit PageTally(std::optional<int> fail_after) : fail_after_rows(fail_after) {}

    // The test hook (fail_next_apply_after_rows_for_test): throws once that many rows are written.
    void before_row() const {
        if (fail_after_rows && rows_written >= *fail_after_rows) {
            throw std::runtime_error("injected failure after " + std::to_string(rows_written) +
                                     " rows (fail_next_apply_after_rows_for_test)");
        }
    }

    void count(Outcome outcome) {
        ++rows_written;
        switch (outcome) {
            case Outcome::inserted:
                ++stats.inserted;
                break;
            case Outcome::updated:
                ++stats.updated;
                break;
            case Outcome::unchanged:
                ++stats.unchanged;
                break;
        }
    }

    std::optional<int> fail_after_rows;
    int rows_written = 0;
    ApplyStats stats;
};

}  // namespace csync::store
