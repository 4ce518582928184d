#include "sunsky/simulator_account.hpp"

#include <cstdio>

#include "csync/domain/decimal.hpp"
#include "sunsky/protocol.hpp"
#include "sunsky/simulator_support.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

std::string signed_cents(std::int64_t v) {
    char buf[32];
    const std::int64_t a = v < 0 ? -v : v;
    std::snprintf(buf, sizeof buf, "%s%lld.%02lld", v < 0 ? "-" : "",
                  static_cast<long long>(a / 100), static_cast<long long>(a % 100));
    return buf;
}

}  // namespace

SimAccount::SimAccount(std::function<LocalTime()> now) : now_(std::move(now)) {
    const LocalTime current = now_();
    const auto today = std::chrono::floor<std::chrono::days>(current);
    for (int back = 40; back >= 0; --back) {
        const LocalTime day{today - std::chrono::days{back}};
        const auto at = [&](int minutes) { return day + std::chrono::minutes{minutes}; };
        if (at(9 * 60) > current) break;
        if (back % 7 == 0) add_bill(at(9 * 60), "prepay", "", 50000);
        const std::string ref = "SS" + std::to_string(900000 + back);
        add_bill(at(9 * 60 + 30), "createOrder", ref, -(1234 + back * 17));
        add_bill(at(9 * 60 + 31), "payForOrder", ref, 0);
        if (back % 5 == 0) {
            // Two bills of identical content: the same order's two zero-amount cancellations.
            add_bill(at(9 * 60 + 45), "cancelOrder", ref, 0);
            add_bill(at(9 * 60 + 45), "cancelOrder", ref, 0);
        }
    }
}

void SimAccount::add_bill(LocalTime at, const std::string& type, const std::string& ref,
                          std::int64_t cents) {
    balance_cents_ += cents;
    json bill{{"txType", type},
              {"amount", signed_cents(cents)},
              {"balance", signed_cents(balance_cents_)},
              {"gmtCreated", format_time(at).substr(0, 16)}};
    if (!ref.empty()) bill["refId"] = ref;
    bills_.emplace_back(at, std::move(bill));
}

SimResponse SimAccount::balance() const { return envelope_success(signed_cents(balance_cents_)); }

SimResponse SimAccount::bills(const std::map<std::string, std::string>& params) const {
    auto query = read_day_query(params);
    if (auto* error = std::get_if<SimResponse>(&query)) return *error;
    const SimDayQuery& q = std::get<SimDayQuery>(query);
    std::vector<const json*> matching;
    for (const auto& [at, bill] : bills_) {
        if (q.contains(at)) matching.push_back(&bill);
    }
    return page_of(static_cast<std::int64_t>(matching.size()), q.paging,
                   [&](std::size_t i) { return *matching[i]; });
}

SimResponse SimAccount::countries() const {
    return envelope_success(json::array(
        {json{{"id", 41}, {"code", "DE"}, {"name", "Germany"}, {"shipToState", false}},
         json{{"id", 42},
              {"code", "US"},
              {"name", "United States"},
              {"shipToState", true},
              {"stateList", json::array({json{{"code", "TX"}, {"name", "Texas"}},
                                         json{{"code", "CA"}, {"name", "California"}}})}},
         json{{"id", 43}, {"code", "FR"}, {"name", "France"}, {"shipToState", false}}}));
}

SimResponse SimAccount::control(const SimRequest& request) {
    SimResponse r;
    if (request.path == "/__sim/sunsky/account" && request.method == "GET") {
        json all = json::array();
        for (const auto& [at, bill] : bills_) all.push_back(bill);
        r.body = json{{"balance", signed_cents(balance_cents_)}, {"bills", all}}.dump();
        return r;
    }
    if (request.path == "/__sim/sunsky/account/bill" && request.method == "POST") {
        auto amount = Decimal::parse(request.query_param("amount"));
        const std::string type = request.query_param("type");
        if (!amount || type.empty()) {
            r.status = 400;
            r.body = json{{"error", "amount (decimal, 2 places) and type are needed"}}.dump();
            return r;
        }
        auto cents = to_int([&] {
            std::string t = amount->text();
            const auto dot = t.find('.');
            std::string frac = dot == std::string::npos ? "" : t.substr(dot + 1);
            std::string whole = dot == std::string::npos ? t : t.substr(0, dot);
            frac.resize(2, '0');
            return whole + frac;
        }());
        if (!cents) {
            r.status = 400;
            r.body = json{{"error", "amount has more than 2 decimal places"}}.dump();
            return r;
        }
        add_bill(now_(), type, request.query_param("ref"), *cents);
        r.body = bills_.back().second.dump();
        return r;
    }
    r.status = 404;
    r.body = "unknown control route\n";
    return r;
}

}  // namespace csync::sunsky
