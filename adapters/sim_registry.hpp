#pragma once
// The simulators commerce-sim serves, one per platform, kept apart from the platform registry
// (registry.hpp) so that commerce-syncd links no simulator code. Each platform's simulator sources
// are the files adapters/<name>/simulator*.cpp, built into csync_adapter_<name>_sim; its factory
// is `<name>::make_simulator`, declared in <name>/simulator_registration.hpp.

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "csync/sim/simulated_platform.hpp"

namespace csync {

struct SimulatorRegistration {
    std::string_view platform;  // as in PlatformSpec::name
    std::function<std::unique_ptr<SimulatedPlatform>(const SimOptions&)> make;
};

const std::vector<SimulatorRegistration>& registered_simulators();
const SimulatorRegistration* find_simulator(std::string_view platform);

}  // namespace csync
