#pragma once
// The standard Prometheus process_* series for this process, read from /proc/self (readable
// under the unit's ProcSubset=pid): resident memory, open file descriptors, CPU time, start time.

#include <string>

namespace csync::app {

std::string process_metrics_text();

}  // namespace csync::app
