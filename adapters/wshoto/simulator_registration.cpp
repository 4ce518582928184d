#include "wshoto/simulator_registration.hpp"

#include "wshoto/simulator.hpp"

namespace csync::wshoto {

std::unique_ptr<SimulatedPlatform> make_simulator(const SimOptions& options) {
    return std::make_unique<WshotoSimulator>(options);
}

}  // namespace csync::wshoto
