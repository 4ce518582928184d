#pragma once
// Errors as gtest parameters: readable names and printed values (instead of gtest's raw bytes).

#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "csync/error.hpp"

namespace csync {

// Found by ADL: gtest prints a parameter as "auth: bad sign".
inline void PrintTo(const Error& e, std::ostream* os) { *os << e.describe(); }

namespace testing {
// The instantiation's name suffix: the kind ("Kinds/NeverRetried.OnTheFirstFailure/auth").
inline std::string KindName(const ::testing::TestParamInfo<Error>& info) {
    return std::string(to_string(info.param.kind));
}
}  // namespace testing

}  // namespace csync
