#include "app/service_status.hpp"

namespace csync::app {

std::string service_status_line(std::size_t accounts, std::size_t parked, const LastCycle& last) {
    std::string line = "accounts: " + std::to_string(accounts - parked) + " ok, " +
                       std::to_string(parked) + " parked";
    if (!last.outcome) return line + "; no cycle yet";
    const CycleOutcome& o = *last.outcome;
    line += "; last cycle: " + last.label + ' ';
    if (o.error) {
        line += "failed (" + std::string(to_string(o.error->kind)) + ')';
    } else if (o.stopped) {
        line += "stopped";
    } else {
        const ApplyStats& s = o.summary.stats;
        line += "ok, " + std::to_string(o.summary.pages) + " pages, " + std::to_string(s.inserted) +
                " inserted, " + std::to_string(s.updated) + " updated";
    }
    if (o.summary.finished_at != UtcTime{}) line += " at " + format_utc_iso(o.summary.finished_at);
    return line;
}

}  // namespace csync::app
