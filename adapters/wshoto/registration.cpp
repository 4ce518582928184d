#include "wshoto/registration.hpp"

#include "wshoto/adapter.hpp"
#include "wshoto/spec.hpp"

namespace csync::wshoto {

PlatformRegistration registration() {
    PlatformRegistration r;
    r.spec = &platform_spec;
    r.make_adapter = [](AdapterDeps deps) { return make_adapter(std::move(deps)); };
    return r;
}

}  // namespace csync::wshoto
