#pragma once
// The simulated Sunsky account: a balance (order!getBalance.do answers it as a string), its bill
// history over the last 40 days (order!getBillList.do, by creation day, paged: prepay bills
// without refId, createOrder/payForOrder pairs sharing a refId, and on some days two bills of
// identical content), and the shipping countries (order!getCountries.do).
//
// Control route: POST /__sim/sunsky/account/bill?amount=A&type=T[&ref=R]  a bill now;
//                GET  /__sim/sunsky/account                              balance and all bills

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/sim/simulated_platform.hpp"

namespace csync::sunsky {

class SimAccount {
  public:
    explicit SimAccount(std::function<LocalTime()> now);

    SimResponse balance() const;
    SimResponse bills(const std::map<std::string, std::string>& params) const;
    SimResponse countries() const;
    SimResponse control(const SimRequest& request);

  private:
    void add_bill(LocalTime at, const std::string& type, const std::string& ref,
                  std::int64_t cents);

    std::function<LocalTime()> now_;
    std::int64_t balance_cents_ = 0;
    std::vector<std::pair<LocalTime, nlohmann::json>> bills_;  // in creation order
};

}  // namespace csync::sunsky
