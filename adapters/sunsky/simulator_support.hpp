#pragma once
// What the simulated Sunsky's parts share: the platform's envelope and strict integer params.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/sim/simulated_platform.hpp"
#include "sunsky/protocol.hpp"

namespace csync::sunsky {

inline SimResponse envelope_success(nlohmann::json data) {
    SimResponse r;
    r.content_type = "application/json;charset=UTF-8";
    r.body = nlohmann::json{{"result", "success"}, {"data", std::move(data)}}.dump();
    return r;
}

inline SimResponse envelope_error(std::string_view message) {
    SimResponse r;
    r.content_type = "application/json;charset=UTF-8";
    r.body = nlohmann::json{{"result", "error"},
                            {"messages", nlohmann::json::array({std::string(message)})}}
                 .dump();
    return r;
}

inline std::optional<std::int64_t> to_int(const std::string& s) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// page/pageSize as every paged Sunsky call reads them: 1-based, default 40, at most 100.
struct SimPaging {
    std::int64_t page = 1;
    std::int64_t page_size = 40;
};
inline std::optional<SimPaging> read_paging(const std::string& page, const std::string& page_size) {
    SimPaging p;
    if (!page.empty()) {
        auto v = to_int(page);
        if (!v || *v < 1) return std::nullopt;
        p.page = *v;
    }
    if (!page_size.empty()) {
        auto v = to_int(page_size);
        if (!v || *v < 1) return std::nullopt;
        p.page_size = std::min<std::int64_t>(*v, 100);
    }
    return p;
}

// The paging and creation-day filter of the order and bill lists: gmtCreatedStart and
// gmtCreatedEnd ("MM/dd/yyyy", both days included) as the interval [from, to).
struct SimDayQuery {
    SimPaging paging;
    std::optional<LocalTime> from;
    std::optional<LocalTime> to;
    bool contains(LocalTime t) const { return (!from || t >= *from) && (!to || t < *to); }
};
// The query, or the platform's error answer for a bad parameter.
inline std::variant<SimDayQuery, SimResponse> read_day_query(
    const std::map<std::string, std::string>& params) {
    auto get = [&](const char* name) -> std::string {
        auto it = params.find(name);
        return it == params.end() ? std::string() : it->second;
    };
    SimDayQuery q;
    auto paging = read_paging(get("page"), get("pageSize"));
    if (!paging) return envelope_error("Invalid parameter: page or pageSize");
    q.paging = *paging;
    for (auto [name, out] :
         {std::pair{"gmtCreatedStart", &q.from}, std::pair{"gmtCreatedEnd", &q.to}}) {
        const std::string text = get(name);
        if (text.empty()) continue;
        *out = parse_time(text);
        if (!*out || text.size() != 10)
            return envelope_error(std::string("Invalid parameter: ") + name);
    }
    if (q.to) *q.to += std::chrono::days{1};  // the whole end day is included
    return q;
}

// One page of `total` rows as the platform's page object; `row(i)` makes the i-th row, called
// only for the rows on the page.
template <class Row>
SimResponse page_of(std::int64_t total, const SimPaging& paging, Row row) {
    nlohmann::json page = nlohmann::json::array();
    for (std::int64_t i = (paging.page - 1) * paging.page_size;
         i < std::min(total, paging.page * paging.page_size); ++i) {
        page.push_back(row(static_cast<std::size_t>(i)));
    }
    return envelope_success(
        nlohmann::json{{"pageCount", (total + paging.page_size - 1) / paging.page_size},
                       {"total", total},
                       {"result", std::move(page)}});
}

}  // namespace csync::sunsky
