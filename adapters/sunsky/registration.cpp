#include "sunsky/registration.hpp"

#include "sunsky/adapter.hpp"
#include "sunsky/simulator.hpp"

namespace csync::sunsky {

PlatformRegistration registration() {
    return PlatformRegistration{
        &platform_spec,
        [](AdapterDeps deps) -> PlatformAdapterPtr {
            return std::make_unique<SunskyAdapter>(deps);
        },
        [](const SimOptions& options) -> std::unique_ptr<SimulatedPlatform> {
            return std::make_unique<SunskySimulator>(options);
        },
    };
}

}  // namespace csync::sunsky
