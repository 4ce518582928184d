#pragma once
// The list of platforms commerce-syncd knows. Each entry is the platform's spec, the factory of
// its adapter and the factory of its simulator. Generic layers only ever look platforms up here.

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "csync/platform_spec.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "csync/sim/simulated_platform.hpp"

namespace csync {

struct PlatformRegistration {
    const PlatformSpec& (*spec)();
    std::function<PlatformAdapterPtr(AdapterDeps)> make_adapter;
    std::function<std::unique_ptr<SimulatedPlatform>(const SimOptions&)> make_simulator;
};

const std::vector<PlatformRegistration>& registered_platforms();
const PlatformRegistration* find_platform(std::string_view name);
std::vector<PlatformSpec> platform_specs();

}  // namespace csync
