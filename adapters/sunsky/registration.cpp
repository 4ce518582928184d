#include "sunsky/registration.hpp"

#include "sunsky/adapter.hpp"

namespace csync::sunsky {

PlatformRegistration registration() {
    return PlatformRegistration{
        &platform_spec,
        [](AdapterDeps deps) -> PlatformAdapterPtr {
            return std::make_unique<SunskyAdapter>(deps);
        },
    };
}

}  // namespace csync::sunsky
