#pragma once
// The one-line STATUS= the daemon reports to systemd after every cycle (`systemctl status` shows
// it): how many accounts sync, how many are parked, and how the last cycle ended.

#include <cstddef>
#include <string>

#include "core/stream_runner.hpp"

namespace csync::app {

struct LastCycle {
    std::string label;  // "account/stream"
    const CycleOutcome* outcome = nullptr;
};

std::string service_status_line(std::size_t accounts, std::size_t parked, const LastCycle& last);

}  // namespace csync::app
