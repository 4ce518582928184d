#pragma once
// The simulated Wshoto mall orders and valet-order goods, part of WshotoSimulator.
//
// Orders move 1 pending -> 2 paid -> 3 shipped -> 4 completed, or 1 -> 5 closed; every move stamps
// update_time (and pay_time / send_time / finish_time / close_time). Seeded orders were created
// over the last 20 days. /openapi/mall/order/list {type (1 create time, 3 update time),
// start_time (required), end_time, current_index (from 1), page_size (default 20)} lists them
// newest update first (an order updated while a client pages shifts the rows after it).
// Amounts: pay_price, total_price, freight_price and the lines' prices.
//
// Goods: /openapi/valetorder/goods/list {page (from 1), size (default 20, at most 100)} in id
// order, with stock_num and price.
//
// Readings (where the notes leave the platform open):
//   get_body          accepted | refused: GET with a JSON body answers HTTP 405 (POST works)
//   time_format       text ("yyyy-MM-dd HH:mm:ss" Asia/Shanghai) | seconds | millis: what
//                     start_time/end_time must be and how record times are written
//   order_start       inclusive | exclusive: whether start_time itself is inside the filter
//   order_end         exclusive | inclusive: the same for end_time
//   order_page_limit  clamp100 | clamp50 (page_size served at most that) | reject100 (over 100
//                     refused)
//   order_unit        yuan (decimals, as the list sample) | fen (integers): the order amounts
//   goods_unit        fen (the notes' reading) | yuan: the goods price

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/sim/simulated_platform.hpp"

namespace csync::wshoto {

class SimMall {
  public:
    struct Readings {
        bool get_body_refused = false;
        std::string time_format = "text";
        bool start_inclusive = true;
        bool end_inclusive = false;
        std::string order_page_limit = "clamp100";
        std::string order_unit = "yuan";
        std::string goods_unit = "fen";
    };

    SimMall(std::uint64_t seed, std::size_t orders, std::size_t goods,
            std::function<std::int64_t()> now_unix);

    // GET or POST /openapi/mall/order/list (the token already checked).
    SimResponse order_list(const SimRequest& request, const nlohmann::json& body) const;
    SimResponse goods_list(const nlohmann::json& body) const;

    // Moves order `code` one status on at `at` (unix seconds); false when unknown or final.
    bool advance(const std::string& code, std::int64_t at);
    std::string create_order(std::int64_t at);
    bool delete_goods(std::int64_t id);
    // `count` changes: orders advanced, created, goods restocked, added and removed in turn.
    std::size_t mutate(std::size_t count);

    // Control routes under /__sim/wshoto/; nullopt when the route is not one of these:
    //   GET  orders                          orders_truth()
    //   GET  goods                           goods_truth()
    //   POST orders/advance?code=X[&at=UNIX]  that order moves one status on (at: default now)
    //   POST orders/create?count=N[&at=UNIX]  {"created":[codes]}
    //   POST goods/delete?id=X
    std::optional<SimResponse> control(const SimRequest& request);
    bool set_reading(std::string_view name, std::string_view value);
    nlohmann::json readings_json() const;

    // Every order as the tests compare it: {order_code, status, update_time (UTC ISO),
    // pay_price (yuan text), lines}.
    nlohmann::json orders_truth() const;
    nlohmann::json goods_truth() const;

  private:
    struct SimOrder {
        std::string code;
        int status = 1;
        std::int64_t created = 0;
        std::int64_t updated = 0;
        std::int64_t paid = 0, sent = 0, finished = 0, closed = 0;
        std::int64_t freight_fen = 0;
        struct Line {
            std::int64_t id = 0;
            std::string sku;
            std::string name;
            std::int64_t qty = 1;
            std::int64_t price_fen = 0;
        };
        std::vector<Line> lines;
        std::int64_t goods_fen() const;
    };
    struct SimGoods {
        std::int64_t id = 0;
        std::string name;
        std::int64_t stock = 0;
        std::int64_t price_fen = 0;
        int up_status = 1;
    };

    nlohmann::json render(const SimOrder& o) const;
    nlohmann::json time_value(std::int64_t unix) const;
    std::optional<std::int64_t> read_time(const nlohmann::json& value) const;
    nlohmann::json money(std::int64_t fen, const std::string& unit) const;
    void add_goods();

    std::mt19937_64 rng_;
    std::function<std::int64_t()> now_;
    TimeZone zone_;
    Readings readings_;
    std::map<std::string, SimOrder> orders_;
    std::map<std::int64_t, SimGoods> goods_;
    std::int64_t next_order_ = 1;
    std::int64_t next_line_ = 1;
    std::int64_t next_goods_ = 501;
    std::size_t mutations_ = 0;
};

}  // namespace csync::wshoto
