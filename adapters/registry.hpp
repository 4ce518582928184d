#pragma once
// The list of platforms commerce-syncd knows. Each entry is the platform's spec and the factory
// of its adapter. Generic layers only ever look platforms up here. The simulators are registered
// apart (sim_registry.hpp) so that the daemon links none of their code.

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "csync/platform_spec.hpp"
#include "csync/ports/platform_adapter.hpp"

namespace csync {

struct PlatformRegistration {
    const PlatformSpec& (*spec)();
    std::function<PlatformAdapterPtr(AdapterDeps)> make_adapter;
};

const std::vector<PlatformRegistration>& registered_platforms();
const PlatformRegistration* find_platform(std::string_view name);
std::vector<PlatformSpec> platform_specs();

}  // namespace csync
