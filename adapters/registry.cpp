#include "registry.hpp"

#include "qianmi/registration.hpp"
#include "sunsky/registration.hpp"
#include "wangdiantong/registration.hpp"
#include "wshoto/registration.hpp"

namespace csync {

const std::vector<PlatformRegistration>& registered_platforms() {
    static const std::vector<PlatformRegistration> all = {
        sunsky::registration(),
        wangdiantong::registration(),
        qianmi::registration(),
        wshoto::registration(),
    };
    return all;
}

const PlatformRegistration* find_platform(std::string_view name) {
    for (const auto& p : registered_platforms()) {
        if (p.spec().name == name) return &p;
    }
    return nullptr;
}

std::vector<PlatformSpec> platform_specs() {
    std::vector<PlatformSpec> specs;
    for (const auto& p : registered_platforms()) specs.push_back(p.spec());
    return specs;
}

}  // namespace csync
