#include "qianmi/registration.hpp"

#include "qianmi/adapter.hpp"
#include "qianmi/spec.hpp"

namespace csync::qianmi {

PlatformRegistration registration() {
    PlatformRegistration r;
    r.spec = &platform_spec;
    r.make_adapter = [](AdapterDeps deps) { return make_adapter(std::move(deps)); };
    return r;
}

}  // namespace csync::qianmi
