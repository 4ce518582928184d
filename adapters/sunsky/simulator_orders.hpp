#pragma once
// The simulated Sunsky order book: orders created over time (several on every day of the last
// 40 days, always one at 00:00 and one at 23:59 local time, so day-window edges are exercised),
// each with lines, a delivery address and a shipping way, moving through the statuses of the
// seed's appendix C (1 unpaid -> 2 paid -> 3 shipped -> 5 completed, or 1 -> 4 cancelled).
// order!getOrderList.do lists them newest first (so orders created while a client pages shift
// rows down a page), filtered by creation day; order!getOrderDetails.do adds detailList.
//
// Control routes (under /__sim/sunsky/orders):
//   GET  /__sim/sunsky/orders                     every order's details, as a JSON array
//   POST /__sim/sunsky/orders/advance?count=N     N open orders move one status on;
//                                                 answers {"advanced":[number,...]}
//   POST /__sim/sunsky/orders/advance?number=X    that order moves one status on
//   POST /__sim/sunsky/orders/create?count=N      N orders created now; {"created":[...]}
//   POST /__sim/sunsky/orders/shape?shipping_way=address|top
//                                                 where shippingWay sits: inside
//                                                 deliveryAddress (the seed's reading, default)
//                                                 or at the top level of the record

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/sim/simulated_platform.hpp"

namespace csync::sunsky {

class SimOrderBook {
  public:
    struct CatalogueItem {
        std::string item_no;
        std::string name;
        std::int64_t product_id = 0;
    };

    // `now` gives the platform's local time; orders are generated up to it.
    SimOrderBook(std::uint64_t seed, std::vector<CatalogueItem> catalogue,
                 std::function<LocalTime()> now);

    SimResponse list(const std::map<std::string, std::string>& params) const;
    SimResponse details(const std::map<std::string, std::string>& params) const;
    // A control route under /__sim/sunsky/orders; status 404 when unknown.
    SimResponse control(const SimRequest& request);

    // Moves `count` open orders one status on (oldest first among a random choice); returns
    // the numbers moved.
    std::vector<std::string> advance(std::size_t count);
    std::vector<std::string> create(std::size_t count);
    nlohmann::json all_details() const;
    std::size_t size() const { return orders_.size(); }

  private:
    struct SimOrder {
        nlohmann::json record;  // details, with detailList
        LocalTime created{};
        std::int64_t seq = 0;
    };

    void add_order(LocalTime created, int status);
    // One status on; an unpaid order is sometimes cancelled instead when `may_cancel`.
    void move_on(SimOrder& order, LocalTime when, bool may_cancel);
    nlohmann::json shaped(const nlohmann::json& record, bool with_lines) const;

    std::mt19937_64 rng_;
    std::vector<CatalogueItem> catalogue_;
    std::function<LocalTime()> now_;
    std::vector<SimOrder> orders_;
    std::map<std::string, std::size_t> by_number_;
    std::int64_t next_seq_ = 1;
    bool shipping_way_top_level_ = false;
};

}  // namespace csync::sunsky
