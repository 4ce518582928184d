#pragma once
#include "registry.hpp"

namespace csync::wangdiantong {
// The platform's spec and adapter factory, for adapters/registry.cpp.
PlatformRegistration registration();
}  // namespace csync::wangdiantong
