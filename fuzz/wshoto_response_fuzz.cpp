// libFuzzer target: any bytes as a Wshoto answer body (HTTP 200) through the envelope and
// detail-envelope readers, the token reader, the product list, detail, type and category
// readers and their mappings. Typed errors are fine; a crash, a leak or a sanitizer report is a
// finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "wshoto/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const csync::wshoto::ErrorCodes codes;
    csync::HttpResponse response;
    response.status = 200;
    response.body.assign(reinterpret_cast<const char*>(data), size);
    if (auto token = csync::wshoto::read_token_response(response, codes); token.ok()) {
        (void)csync::wshoto::token_expires_at(*token);
    }
    if (auto detail = csync::wshoto::read_detail_envelope(response, codes); detail.ok()) {
        if (auto product = csync::wshoto::read_product_detail(*detail)) {
            (void)csync::wshoto::map_product(*product);
        }
    }
    auto envelope = csync::wshoto::read_envelope(response, codes, "fuzz");
    if (!envelope.ok()) return 0;
    if (auto page = csync::wshoto::read_product_list(*envelope); page.ok()) {
        for (const auto& record : page->records) (void)csync::wshoto::map_product(record);
    }
    if (auto types = csync::wshoto::read_product_types(*envelope); types.ok()) {
        for (const auto& type : *types) (void)csync::wshoto::map_product_type(type);
    }
    if (auto trees = csync::wshoto::read_category_tree(*envelope); trees.ok()) {
        std::vector<csync::Category> categories;
        std::vector<csync::DeadLetter> letters;
        for (const auto& node : *trees) csync::wshoto::map_category_tree(node, categories, letters);
    }
    return 0;
}
