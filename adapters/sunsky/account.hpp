#pragma once
// The Sunsky `account` stream (order!getBalance.do, then order!getBillList.do over creation-day
// windows, the same day plan as orders: see orders.hpp) and the `countries` stream
// (order!getCountries.do, one call a cycle, daily by default).
//
// Bills have no id: prepay bills carry no refId and one order yields several bills with the same
// refId. A bill is stored under its content (time, type, reference, amount, balance) plus its
// occurrence among identical bills of its day, counted over the whole day's list, so one day
// window is read whole (every page) in one page of the stream.

#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/records.hpp"
#include "csync/domain/time.hpp"
#include "csync/platform_spec.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "sunsky/protocol.hpp"

namespace csync::sunsky {

inline constexpr const char* kAccountStream = "account";
inline constexpr const char* kCountriesStream = "countries";

// One order!getBillList.do row (gmtCreated "MM/dd/yyyy HH:mm" in `zone`); occurrence left at 1.
std::variant<LedgerEntry, DeadLetter> map_bill(const nlohmann::json& record, const TimeZone& zone);
// Numbers identical bills 1, 2, ... in list order.
void number_occurrences(std::vector<LedgerEntry>& bills);
std::variant<Country, DeadLetter> map_country(const nlohmann::json& record);

std::vector<OptionSpec> account_options();

StreamSyncPtr make_account_stream(const AdapterDeps& deps, const Credentials& credentials,
                                  const StreamConfig& stream);
StreamSyncPtr make_countries_stream(const AdapterDeps& deps, const Credentials& credentials);

}  // namespace csync::sunsky
