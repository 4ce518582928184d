#include "sim_registry.hpp"

#include "qianmi/simulator_registration.hpp"
#include "sunsky/simulator_registration.hpp"
#include "wangdiantong/simulator_registration.hpp"
#include "wshoto/simulator_registration.hpp"

namespace csync {

const std::vector<SimulatorRegistration>& registered_simulators() {
    static const std::vector<SimulatorRegistration> all = {
        {"sunsky", &sunsky::make_simulator},
        {"wangdiantong", &wangdiantong::make_simulator},
        {"qianmi", &qianmi::make_simulator},
        {"wshoto", &wshoto::make_simulator},
    };
    return all;
}

const SimulatorRegistration* find_simulator(std::string_view platform) {
    for (const auto& s : registered_simulators()) {
        if (s.platform == platform) return &s;
    }
    return nullptr;
}

}  // namespace csync
