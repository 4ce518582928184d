#include "sunsky/simulator_registration.hpp"

#include "sunsky/simulator.hpp"

namespace csync::sunsky {

std::unique_ptr<SimulatedPlatform> make_simulator(const SimOptions& options) {
    return std::make_unique<SunskySimulator>(options);
}

}  // namespace csync::sunsky
