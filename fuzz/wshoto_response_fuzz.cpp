// libFuzzer target: any bytes as a Wshoto answer body (HTTP 200) through the envelope and
// detail-envelope readers, the token reader, the product list, detail, type and category
// readers and their mappings; and through the products stream's page reader, which must give what
// the general path gives. Typed errors are fine; a crash, a leak, a sanitizer report or a
// difference between the two readers is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "page_reader_check.hpp"
#include "wshoto/product_page.hpp"
#include "wshoto/wire.hpp"

namespace {

using namespace csync;
using namespace csync::fuzzing;

void check_product_page(const HttpResponse& response, const wshoto::ErrorCodes& codes) {
    static wshoto::ProductPageReader reader;
    wshoto::ProductPage fast;
    Status read = reader.read(response, codes, fast);
    auto data = wshoto::read_envelope(response, codes, wshoto::kProductListPath);
    Result<wshoto::ProductListPage> general = data.ok()
                                                  ? wshoto::read_product_list(*data)
                                                  : Result<wshoto::ProductListPage>(data.error());
    check_same_status(read, general.ok() ? Status{} : Status{general.error()});
    if (!read.ok()) return;
    check(fast.records == general->records.size() && fast.total == general->total &&
              fast.next_cursor == general->next_cursor,
          "page figures");
    std::size_t p = 0, l = 0;
    for (const auto& record : general->records) {
        auto mapped = wshoto::map_product(record);
        if (const auto* product = std::get_if<Product>(&mapped)) {
            check(p < fast.products.size(), "products");
            check_same_product(fast.products[p++], *product);
        } else {
            check(l < fast.dead_letters.size(), "dead letters");
            check_same_letter(fast.dead_letters[l++], std::get<DeadLetter>(mapped));
        }
    }
    check(p == fast.products.size() && l == fast.dead_letters.size(), "rows");
}

}  // namespace

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
    check_product_page(response, codes);
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
