#pragma once
// What the qianmi platform declares to the generic layers (config validation, CLI, scheduler).

#include "csync/platform_spec.hpp"

namespace csync::qianmi {

inline constexpr const char* kItemsStream = "items";
// Account option: the OAuth endpoint that refreshes the access token.
inline constexpr const char* kTokenUrlOption = "token_url";
// Stream options of `items`.
inline constexpr const char* kSkusOption = "skus";
inline constexpr const char* kOrderByOption = "order_by";
inline constexpr const char* kNumIidsOption = "num_iids";

// name qianmi; base_url = the gateway URL with its path (https://api.qianmi.com/api); zone
// Asia/Shanghai (item times are GMT+8); credentials app_key, app_secret, access_token,
// refresh_token (each also as X_file); account option token_url; stream `items` (15m, page size
// 50, at most 50) with options skus (boolean, false), order_by (string, cid) and num_iids (a
// comma-separated list of ids as one string, since config options are scalars; empty =
// discover every item).
const PlatformSpec& platform_spec();

}  // namespace csync::qianmi
