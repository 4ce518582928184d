#include "sunsky/account.hpp"

#include <map>
#include <tuple>
#include <utility>

#include "core/json_util.hpp"
#include "sunsky/caller.hpp"
#include "sunsky/mapping.hpp"
#include "sunsky/orders.hpp"

namespace csync::sunsky {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

DeadLetter dead(const json& record, std::string key, std::string error) {
    return DeadLetter{std::move(key), record.dump(), std::move(error)};
}

}  // namespace

std::variant<LedgerEntry, DeadLetter> map_bill(const json& record, const TimeZone& zone) {
    if (!record.is_object()) return dead(record, "", "bill record is not a JSON object");
    LedgerEntry e;
    e.tx_type = json_text(record, "txType").value_or("");
    e.reference = json_text(record, "refId").value_or("");
    if (e.tx_type.empty()) return dead(record, "", "bill without txType");
    auto created = json_text(record, "gmtCreated");
    auto t = created ? parse_time(*created) : std::nullopt;
    if (!t) return dead(record, "", "bill gmtCreated '" + created.value_or("") + "' is unreadable");
    e.created_at = zone.to_utc(*t);
    auto amount = json_decimal(record, "amount");
    auto balance = json_decimal(record, "balance");
    if (!amount || !balance) return dead(record, "", "bill amount or balance is not a decimal");
    e.amount = *amount;
    e.balance = *balance;
    e.raw_json = record.dump();
    return e;
}

void number_occurrences(std::vector<LedgerEntry>& bills) {
    std::map<std::tuple<std::int64_t, std::string, std::string, std::string, std::string>,
             std::int64_t>
        seen;
    for (LedgerEntry& e : bills) {
        e.occurrence = ++seen[{e.created_at.time_since_epoch().count(), e.tx_type, e.reference,
                               e.amount.text(), e.balance.text()}];
    }
}

std::variant<Country, DeadLetter> map_country(const json& record) {
    if (!record.is_object()) return dead(record, "", "country record is not a JSON object");
    auto id = json_text(record, "id");
    if (!id || id->empty()) return dead(record, "", "country without id");
    Country c;
    c.external_id = *id;
    c.code = json_text(record, "code").value_or("");
    c.name = json_text(record, "name").value_or("");
    c.ship_to_state = json_bool(record, "shipToState").value_or(false);
    json states = json::array();
    if (auto list = record.find("stateList"); list != record.end() && list->is_array()) {
        for (const json& s : *list) {
            if (!s.is_object())
                return dead(record, "id=" + *id, "stateList entry is not an object");
            states.push_back(json{{"code", json_text(s, "code").value_or("")},
                                  {"name", json_text(s, "name").value_or("")}});
        }
    }
    c.states_json = states.dump();
    c.raw_json = record.dump();
    return c;
}

std::vector<OptionSpec> account_options() {
    return {{"backfill_days", OptionType::integer, "30",
             "days before today the first cycle reads bills of"}};
}

namespace {

class AccountStream final : public StreamSync {
  public:
    AccountStream(const AdapterDeps& deps, Credentials credentials, const StreamConfig& stream)
        : caller_(deps, std::move(credentials)), policy_(orders_policy(stream)) {}

    awaitable<Result<Page>> fetch_page(const json& cursor) override {
        if (!policy_.ok()) co_return failed_fetch(policy_.error(), caller_.take_sent());
        const AdapterDeps& deps = caller_.deps();
        auto planned = day_window_at(cursor, deps, *policy_);
        if (!planned.ok()) co_return failed_fetch(std::move(planned).error(), caller_.take_sent());
        OrdersCursor& at = planned->cursor;
        const UtcTime now = planned->now;
        Page page;
        if (planned->started) {
            // A cycle starts with the balance.
            // Named arguments: GCC 12 destroys a braced temporary coroutine argument twice.
            std::string method = "order!getBalance";
            Params no_params;
            auto balance = co_await caller_.call(std::move(method), std::move(no_params));
            if (!balance.ok())
                co_return failed_fetch(std::move(balance).error(), caller_.take_sent());
            auto text = json_scalar_text(*balance);
            auto amount = text ? Decimal::parse(*text) : std::nullopt;
            if (!amount) {
                co_return failed_fetch(Error::bad_response("order!getBalance: '" + balance->dump() +
                                                           "' is not a decimal"),
                                       caller_.take_sent());
            }
            page.records.balance = AccountBalance{*amount, kCurrency, now};
        }
        const LocalDay day = at.windows.front();
        std::vector<LedgerEntry> bills;
        for (std::int64_t p = 1;; ++p) {
            Params params{{"gmtCreatedStart", format_day(day)},
                          {"gmtCreatedEnd", format_day(day)},
                          {"page", std::to_string(p)},
                          {"pageSize", std::to_string(kMaxPageSize)}};
            std::string method = "order!getBillList";
            auto data = co_await caller_.call(std::move(method), std::move(params));
            if (!data.ok()) co_return failed_fetch(std::move(data).error(), caller_.take_sent());
            auto listed = parse_search_page(*data);
            if (!listed.ok())
                co_return failed_fetch(std::move(listed).error(), caller_.take_sent());
            for (const json& row : listed->rows) {
                auto mapped = map_bill(row, deps.zone);
                if (auto* e = std::get_if<LedgerEntry>(&mapped)) {
                    bills.push_back(std::move(*e));
                } else {
                    page.records.dead_letters.push_back(std::get<DeadLetter>(std::move(mapped)));
                }
            }
            if (listed->rows.empty() || p >= listed->page_count) break;
        }
        number_occurrences(bills);
        page.records.ledger = std::move(bills);
        at.page = 1;
        page.cycle_done = advance(at, 0, 0, now, *policy_);
        page.next_cursor = at.to_json();
        page.requests = caller_.take_sent();
        co_return page;
    }

  private:
    Caller caller_;
    Result<OrdersPolicy> policy_;
};

class CountriesStream final : public StreamSync {
  public:
    CountriesStream(const AdapterDeps& deps, Credentials credentials)
        : caller_(deps, std::move(credentials)) {}

    awaitable<Result<Page>> fetch_page(const json&) override {
        // Named arguments: GCC 12 destroys a braced temporary coroutine argument twice.
        std::string method = "order!getCountries";
        Params no_params;
        auto data = co_await caller_.call(std::move(method), std::move(no_params));
        if (!data.ok()) co_return failed_fetch(std::move(data).error(), caller_.take_sent());
        if (!data->is_array()) {
            co_return failed_fetch(
                Error::bad_response("order!getCountries: 'data' is not an array"),
                caller_.take_sent());
        }
        Page page;
        for (const json& row : *data) {
            auto mapped = map_country(row);
            if (auto* c = std::get_if<Country>(&mapped)) {
                page.records.countries.push_back(std::move(*c));
            } else {
                page.records.dead_letters.push_back(std::get<DeadLetter>(std::move(mapped)));
            }
        }
        page.next_cursor =
            json{{"read_at", format_utc_iso(std::chrono::time_point_cast<std::chrono::seconds>(
                                 caller_.deps().clock.now()))}};
        page.cycle_done = true;
        page.requests = caller_.take_sent();
        co_return page;
    }

  private:
    Caller caller_;
};

}  // namespace

StreamSyncPtr make_account_stream(const AdapterDeps& deps, const Credentials& credentials,
                                  const StreamConfig& stream) {
    return std::make_unique<AccountStream>(deps, credentials, stream);
}

StreamSyncPtr make_countries_stream(const AdapterDeps& deps, const Credentials& credentials) {
    return std::make_unique<CountriesStream>(deps, credentials);
}

}  // namespace csync::sunsky
