#pragma once
#include "registry.hpp"

namespace csync::wshoto {
// The platform's spec and adapter factory, for adapters/registry.cpp.
PlatformRegistration registration();
}  // namespace csync::wshoto
