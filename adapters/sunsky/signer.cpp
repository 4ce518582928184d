#include "sunsky/signer.hpp"

#include <algorithm>

#include "core/digest.hpp"

namespace csync::sunsky {

Result<std::string> SunskySigner::string_to_sign(const Params& params, std::string_view secret) {
    std::vector<const std::pair<std::string, std::string>*> sorted;
    sorted.reserve(params.size());
    for (const auto& p : params) {
        if (p.first != "signature") sorted.push_back(&p);
    }
    // std::string's operator< compares like memcmp (char_traits<char> compares unsigned bytes):
    // the plain byte order of PHP ksort / Java TreeMap for the names the platform uses.
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    std::string out;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        if (i > 0 && sorted[i]->first == sorted[i - 1]->first) {
            return Error::config("parameter '" + sorted[i]->first +
                                 "' given twice: Sunsky keeps one value per name; use indexed "
                                 "names such as items.1.itemNo");
        }
        out += sorted[i]->second;
    }
    out += '@';
    out += secret;
    return out;
}

Result<std::string> SunskySigner::sign(const Params& params, std::string_view secret) {
    auto text = string_to_sign(params, secret);
    if (!text.ok()) return std::move(text).error();
    return md5_hex(*text);
}

}  // namespace csync::sunsky
