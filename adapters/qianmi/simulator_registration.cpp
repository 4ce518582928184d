#include "qianmi/simulator_registration.hpp"

#include "qianmi/simulator.hpp"

namespace csync::qianmi {

std::unique_ptr<SimulatedPlatform> make_simulator(const SimOptions& options) {
    return std::make_unique<QianmiSimulator>(options);
}

}  // namespace csync::qianmi
