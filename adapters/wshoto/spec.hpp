#pragma once
// What the wshoto platform declares to the generic layers (config validation, CLI, scheduler).

#include "csync/platform_spec.hpp"

namespace csync::wshoto {

inline constexpr const char* kProductTypesStream = "product_types";
inline constexpr const char* kCategoriesStream = "categories";
inline constexpr const char* kProductsStream = "products";
// Account option: the envelope codes that mean "token invalid or expired" (comma-separated).
inline constexpr const char* kAuthCodesOption = "auth_codes";
inline constexpr const char* kDefaultAuthCodes = "10001,10010,10011";
// Account option: the shortest gap between two token calls (the platform throttles them).
inline constexpr const char* kTokenMinIntervalOption = "token_min_interval";

// name wshoto; base_url https://open.wshoto.com; zone Asia/Shanghai; credentials appid,
// app_secret; account options auth_codes and token_min_interval (both checked by the config
// loader); streams product_types, categories (6h), products (1h, page size 100, at most 100),
// orders (5 min; lookback, backfill, unit, time_format) and goods (1h; unit; only when listed).
const PlatformSpec& platform_spec();

}  // namespace csync::wshoto
