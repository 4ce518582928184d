#pragma once
// What the page readers' differential tests expect of both paths' rows, beside hot_pages.hpp.

#include <string>

#include <gtest/gtest.h>

#include "core/json_util.hpp"
#include "hot_pages.hpp"

namespace csync::testing::hot_pages {

// raw_json holds the platform's bytes on the fast path and dump() on the general one: both
// must be the same JSON.
inline void expect_same_json(const std::string& fast, const std::string& general) {
    auto a = parse_json_exact(fast);
    auto b = parse_json_exact(general);
    ASSERT_TRUE(a.ok()) << fast;
    ASSERT_TRUE(b.ok()) << general;
    EXPECT_EQ(*a, *b);
}

}  // namespace csync::testing::hot_pages
