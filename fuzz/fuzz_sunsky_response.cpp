// Sunsky answers: the envelope, the search page and every product and category in it.
#include <cstddef>
#include <cstdint>

#include "sunsky/mapping.hpp"
#include "sunsky/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace csync;
    static const TimeZone zone = TimeZone::from_name("Asia/Shanghai").value();
    HttpResponse response;
    response.status = 200;
    response.body.assign(reinterpret_cast<const char*>(data), size);
    auto envelope = sunsky::parse_envelope(response, std::chrono::system_clock::time_point{});
    if (!envelope.ok()) return 0;
    if (auto page = sunsky::parse_search_page(*envelope); page.ok()) {
        for (const auto& row : page->rows) (void)sunsky::map_product(row, zone);
    }
    if (envelope->is_array()) {
        for (const auto& row : *envelope) (void)sunsky::map_category(row, zone);
    }
    return 0;
}
