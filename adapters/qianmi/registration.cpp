#include "qianmi/registration.hpp"

#include "qianmi/adapter.hpp"
#include "qianmi/simulator.hpp"
#include "qianmi/spec.hpp"

namespace csync::qianmi {

PlatformRegistration registration() {
    PlatformRegistration r;
    r.spec = &platform_spec;
    r.make_adapter = [](AdapterDeps deps) { return make_adapter(std::move(deps)); };
    r.make_simulator = [](const SimOptions& options) -> std::unique_ptr<SimulatedPlatform> {
        return std::make_unique<QianmiSimulator>(options);
    };
    return r;
}

}  // namespace csync::qianmi
