#pragma once
#include "registry.hpp"

namespace csync::qianmi {
// The platform's spec, adapter factory and simulator factory, for adapters/registry.cpp.
PlatformRegistration registration();
}  // namespace csync::qianmi
