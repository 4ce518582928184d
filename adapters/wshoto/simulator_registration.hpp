#pragma once
#include <memory>

#include "csync/sim/simulated_platform.hpp"

namespace csync::wshoto {
// The platform's simulator, for adapters/sim_registry.cpp (commerce-sim and tests only).
std::unique_ptr<SimulatedPlatform> make_simulator(const SimOptions& options);
}  // namespace csync::wshoto
