#include "wangdiantong/simulator_registration.hpp"

#include "wangdiantong/simulator.hpp"

namespace csync::wangdiantong {

std::unique_ptr<SimulatedPlatform> make_simulator(const SimOptions& options) {
    return std::make_unique<WangdiantongSimulator>(options);
}

}  // namespace csync::wangdiantong
