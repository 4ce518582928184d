#pragma once
// A local Wshoto open API (commerce-sim --platform wshoto): the token endpoint and the product
// library over a seeded, changing catalogue.
//
// Credentials (SimOptions.credentials): appid and app_secret (required).
//
// GET /openapi/access_token?appid=&app_secret=: {"code":0,"data":{access_token, expires_in,
// create_at}}. Within its life (SimOptions.token_ttl, default 7200 s) the SAME token and create_at
// come back; after it ends, or after a revocation, a new one. More than `token_calls_per_minute`
// calls in one clock minute are refused with code 2 "调用频率拦截" (frequency interception).
// Wrong credentials: code 1.
//
// Business calls: POST <path>?access_token=T with a JSON body. A missing, unknown, revoked or
// expired token answers code `token_code` (10010). Then the per-minute budget
// (SimOptions.rate_limit_per_minute, code -1 "system busy").
//   query_product_type_list          data.product_type_infos
//   query_product_category_info      {parent_id: type id} -> data.product_category_infos (trees)
//   page_query_product_library_info_list  {product_type_id (required), cursor (required, <= 32
//        chars, "0" first), product_status (-1 all, 0..3), page_size (default 20, max 100)}:
//        the type's products with product_library_id > cursor in id order; max_cursor is the
//        largest id of the page (per record and/or in data, reading `cursor_in`).
//   query_product_library_info       {product_library_id}: data = the product; an unknown id
//        answers per reading `gone`.
// Missing required parameters: code 0 with sub_code "10001" ("参数错误").
//
// Readings (open questions of the notes; --reading NAME=VALUE or /__sim/wshoto/readings):
//   cursor_in   record (the seed) | data | both: where max_cursor is sent
//   page_limit  clamp (page_size > 100 served as 100) | reject (sub_code "10002")
//   gone        empty (code 0, data null) | sub_code (code 0, sub_code "20001" "产品不存在")
//   token_code  10001 | 10010 | 10011
//   cursor      advance | stuck (max_cursor never moves: a broken listing, for the loop guard)
//   token_calls_per_minute  a whole number (default 20)
//
// Control routes:
//   POST /__sim/wshoto/revoke       the current token stops working now
//   GET  /__sim/wshoto/stats        {"calls":{path:n},"token_calls":n,"tokens_issued":n,
//                                   "access_token":"..."}
//   GET|POST /__sim/wshoto/readings[?NAME=VALUE...]
//   POST /__sim/wshoto/touch?id=X   renames product X;  POST /__sim/wshoto/delete?id=X
// plus the frame's /__sim/truth (current products) and /__sim/mutate?count=N (products added,
// edited, deleted in turn; as many mall changes: orders moving on or created, goods restocked,
// added or removed).
//
// Mall orders (GET or POST /openapi/mall/order/list) and goods (/openapi/valetorder/goods/list),
// their readings and control routes: simulator_mall.hpp.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "csync/sim/simulated_platform.hpp"
#include "wshoto/simulator_mall.hpp"

namespace csync::wshoto {

class WshotoSimulator final : public SimulatedPlatform {
  public:
    struct Readings {
        std::string cursor_in = "record";
        std::string page_limit = "clamp";
        std::string gone = "empty";
        int token_code = 10010;
        std::string cursor = "advance";
        int token_calls_per_minute = 20;
    };

    // Throws std::invalid_argument without appid and app_secret, or on an unknown reading.
    explicit WshotoSimulator(SimOptions options);

    SimResponse handle(const SimRequest& request) override;
    std::string truth_ndjson() override;
    std::size_t mutate(std::size_t count) override;
    SimResponse rate_limit_response() const override;
    SimResponse control(const SimRequest& request) override;

    // In-process controls (tests); revoke_token also serves injected token_revoked faults.
    bool revoke_token() override;
    bool delete_product(std::int64_t id);
    bool touch_product(std::int64_t id);
    bool set_reading(std::string_view name, std::string_view value);
    const std::string& current_token() const noexcept { return token_; }
    int token_calls() const noexcept { return token_calls_; }
    int tokens_issued() const noexcept { return tokens_issued_; }
    std::size_t product_count() const noexcept { return products_.size(); }
    SimMall& mall() noexcept { return *mall_; }

  private:
    std::int64_t now_unix() const;
    SimResponse token_call(const SimRequest& request);
    SimResponse types_call() const;
    SimResponse categories_call(const nlohmann::json& body) const;
    SimResponse list_call(const nlohmann::json& body) const;
    SimResponse detail_call(const nlohmann::json& body) const;
    nlohmann::json make_product(std::int64_t id);
    nlohmann::json readings_json() const;

    SimOptions options_;
    Readings readings_;
    std::string appid_;
    std::string app_secret_;
    std::mt19937_64 rng_;
    std::map<std::int64_t, nlohmann::json> products_;  // by product_library_id
    std::int64_t next_id_ = 1001;
    std::int64_t edits_ = 0;
    std::size_t mutations_ = 0;
    // The token.
    std::string token_;
    std::int64_t token_created_ = 0;
    bool revoked_ = true;  // no token issued yet
    int token_calls_ = 0;
    int tokens_issued_ = 0;
    MinuteBudget token_budget_;
    MinuteBudget call_budget_;
    std::map<std::string, std::int64_t> calls_;
    std::unique_ptr<SimMall> mall_;  // orders and goods (simulator_mall.hpp)
};

}  // namespace csync::wshoto
