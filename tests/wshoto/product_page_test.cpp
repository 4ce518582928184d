// The products stream's page reader (simdjson on demand) against the general path it replaces
// (read_envelope, read_product_list, map_product): the same typed errors and the same rows for
// the simulator's pages under each cursor reading, for hand-written answers, and for malformed
// variants of each (truncated, garbage, wrong types, missing fields, big numbers, escapes).
#include <gtest/gtest.h>

#include "core/json_util.hpp"
#include "hot_pages_expect.hpp"
#include "wshoto/product_page.hpp"

namespace csync::wshoto {
namespace {

namespace hot = csync::testing::hot_pages;
using hot::answer;
using hot::expect_same_json;
using nlohmann::json;

// Reads `response` both ways and compares; true when the reader took its fast path.
bool same_page(ProductPageReader& reader, const HttpResponse& response,
               const ErrorCodes& codes = {}) {
    ProductPage fast;
    Status read = reader.read(response, codes, fast);
    Status general_status;
    ProductListPage general;
    std::vector<std::variant<Product, DeadLetter>> mapped;
    if (auto data = read_envelope(response, codes, kProductListPath); !data.ok()) {
        general_status = data.error();
    } else if (auto listing = read_product_list(*data); !listing.ok()) {
        general_status = listing.error();
    } else {
        general = std::move(*listing);
        for (const json& record : general.records) mapped.push_back(map_product(record));
    }
    EXPECT_EQ(read.ok(), general_status.ok()) << response.body.substr(0, 300);
    if (!read.ok() || !general_status.ok()) {
        if (!read.ok() && !general_status.ok()) {
            EXPECT_EQ(read.error().kind, general_status.error().kind);
            EXPECT_EQ(read.error().message, general_status.error().message);
        }
        return reader.fast();
    }
    EXPECT_EQ(fast.records, general.records.size());
    EXPECT_EQ(fast.total, general.total);
    EXPECT_EQ(fast.next_cursor, general.next_cursor);
    std::vector<const Product*> products;
    std::vector<const DeadLetter*> letters;
    for (const auto& m : mapped) {
        if (const auto* p = std::get_if<Product>(&m)) {
            products.push_back(p);
        } else {
            letters.push_back(&std::get<DeadLetter>(m));
        }
    }
    EXPECT_EQ(fast.products.size(), products.size());
    for (std::size_t i = 0; i < std::min(fast.products.size(), products.size()); ++i) {
        const Product& f = fast.products[i];
        const Product& g = *products[i];
        EXPECT_EQ(f.external_id, g.external_id);
        EXPECT_EQ(f.sku, g.sku);
        EXPECT_EQ(f.title, g.title);
        EXPECT_EQ(f.category_external_id, g.category_external_id);
        EXPECT_EQ(f.platform_status, g.platform_status);
        EXPECT_EQ(f.status, g.status);
        EXPECT_EQ(f.price.has_value(), g.price.has_value());
        EXPECT_EQ(f.stock, g.stock);
        EXPECT_EQ(f.source_modified_at, g.source_modified_at);
        expect_same_json(f.raw_json, g.raw_json);
    }
    EXPECT_EQ(fast.dead_letters.size(), letters.size());
    for (std::size_t i = 0; i < std::min(fast.dead_letters.size(), letters.size()); ++i) {
        EXPECT_EQ(fast.dead_letters[i].record_key, letters[i]->record_key);
        EXPECT_EQ(fast.dead_letters[i].error, letters[i]->error);
        expect_same_json(fast.dead_letters[i].payload, letters[i]->payload);
    }
    return reader.fast();
}

const std::vector<std::pair<std::string, std::string>> kSwaps = {
    {"\"product_library_id\":", "\"product_library_id\":null,\"x\":"},
    {"\"product_library_id\":", "\"product_library_id\":\"\",\"x\":"},
    {"\"product_library_id\":", "\"product_library_id\":{\"id\":1},\"x\":"},
    {"\"product_library_id\":", "\"product_library_id\":123456789012345678901234,\"x\":"},
    {"\"product_library_id\":", "\"product_library_id\":3,\"product_library_id\":"},
    {"\"product_status\":", "\"product_status\":\"1\",\"s\":"},
    {"\"product_status\":", "\"product_status\":true,\"s\":"},
    {"\"product_status\":", "\"product_status\":1.0,\"s\":"},
    {"\"name\":\"", "\"name\":\"\\u4ea7\\u54c1\\ud83d\\ude00 "},
    {"\"name\":\"", "\"name\":[1,2],\"n\":\""},
    {"\"max_cursor\":\"", "\"max_cursor\":\"123456789012345678901234567890123"},
    {"\"max_cursor\":\"", "\"max_cursor\":7,\"c\":\""},
    {"\"records\":[", "\"records\":[5,"},
    {"\"records\":[", "\"records\":null,\"r\":["},
    {"\"total\":", "\"total\":\"x\",\"t\":"},
    {"\"code\":0", "\"code\":10010"},
    {"\"code\":0", "\"code\":\"0\""},
    {"\"code\":0", "\"code\":3"},
    {"\"code\":0", "\"code\":0,\"code\":7"},
    {"\"code\":0", "\"cod\":0"},
    {"\"sub_code\":\"00000\"", "\"sub_code\":\"10001\""},
    {"\"sub_code\":\"00000\"", "\"sub_code\":0"},
    {"\"data\":{", "\"data\":{\"max_cursor\":null,"},
    {"\"data\":{", "\"data\":[],\"d\":{"},
};

TEST(WshotoProductPage, SimulatorPagesReadFastAndAlikeUnderEachCursorReading) {
    for (const char* cursor_in : {"record", "data", "both"}) {
        hot::Wshoto platform(400, {{"cursor_in", cursor_in}});
        ProductPageReader reader;
        for (std::int64_t type : {3, 7, 12}) {
            std::string cursor = "0";
            for (int page = 0; page < 6; ++page) {
                const HttpResponse response = platform.products(type, cursor, 40);
                EXPECT_TRUE(same_page(reader, response)) << response.body.substr(0, 300);
                ProductPage read;
                ASSERT_TRUE(reader.read(response, {}, read).ok());
                if (read.records == 0) break;
                cursor = read.next_cursor;
            }
        }
    }
}

TEST(WshotoProductPage, MalformedVariantsGiveTheGeneralPathsErrorsAndRows) {
    hot::Wshoto platform(300, {{"cursor_in", "both"}});
    ProductPageReader reader;
    ErrorCodes codes;
    for (const std::string& body : hot::variants(platform.products(7, "0", 30).body, kSwaps)) {
        same_page(reader, answer(body), codes);
    }
}

TEST(WshotoProductPage, HandWrittenAnswersAndHttpStatuses) {
    const std::vector<std::string> bodies = {
        R"({"code":0,"msg":"ok","sub_code":"00000","data":{"total":2,"records":[{"product_library_id":"11","product_code":"A","name":"n","product_category_id":5,"product_status":1,"max_cursor":"11"},{"product_library_id":12,"product_status":"0","max_cursor":12}]}})",
        R"({"code":0,"data":{"records":[]}})",
        R"({"code":0,"data":{}})",
        R"({"code":0,"data":null})",
        R"({"code":0})",
        R"({"code":10001,"msg":"token invalid"})",
        R"({"code":-1,"msg":"busy"})",
        R"({"code":0,"sub_code":"20001","msg":"no such type"})",
        R"({"data":{"records":[]}})",
        R"({"code":0,"data":{"records":[{"product_library_id":"1","name":"x","name":"y"}],"max_cursor":"9"}})",
    };
    ProductPageReader reader;
    for (const std::string& body : bodies) {
        for (int status : {200, 404, 429, 502}) same_page(reader, answer(body, status));
    }
    ProductPage page;
    ASSERT_TRUE(reader.read(answer(bodies[0]), {}, page).ok());
    EXPECT_TRUE(reader.fast());
    ASSERT_EQ(page.products.size(), 2u);
    EXPECT_EQ(page.products[0].category_external_id, "5");
    EXPECT_EQ(page.products[0].status, ProductStatus::active);
    EXPECT_EQ(page.products[1].external_id, "12");
    EXPECT_EQ(page.next_cursor, "12");
    EXPECT_EQ(page.total, 2);
}

}  // namespace
}  // namespace csync::wshoto
