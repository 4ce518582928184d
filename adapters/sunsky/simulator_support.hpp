#pragma once
// What the simulated Sunsky's parts share: the platform's envelope and strict integer params.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "csync/sim/simulated_platform.hpp"

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

}  // namespace csync::sunsky
