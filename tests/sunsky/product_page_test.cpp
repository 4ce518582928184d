// The products hot path (ProductPageReader) reads a page exactly as the general path does
// (parse_envelope, parse_search_page, map_product), except that raw_json keeps each record's own
// bytes; errors keep their types.
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "core/json_util.hpp"
#include "sim_call.hpp"
#include "sunsky/mapping.hpp"
#include "sunsky/product_page.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;
using testing::raw_call;

const Credentials kCreds{"sim-key", "sim-secret"};
const auto kNow = std::chrono::system_clock::time_point{std::chrono::seconds{1'717'243'200}};

TimeZone shanghai() { return *TimeZone::from_name("Asia/Shanghai"); }

HttpResponse answer(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

// The general path's reading of the same answer.
ProductPage read_generally(const HttpResponse& response) {
    ProductPage out;
    auto data = parse_envelope(response, kNow);
    EXPECT_TRUE(data.ok());
    auto page = parse_search_page(*data);
    EXPECT_TRUE(page.ok());
    out.seen.rows = page->rows.size();
    out.seen.page_count = page->page_count;
    out.total = page->total;
    for (const json& row : page->rows) {
        if (auto t = modified_time(row);
            t && (!out.seen.max_modified || *t > *out.seen.max_modified)) {
            out.seen.max_modified = *t;
        }
        auto mapped = map_product(row, shanghai());
        if (auto* p = std::get_if<Product>(&mapped)) {
            out.products.push_back(std::move(*p));
        } else {
            out.dead_letters.push_back(std::get<DeadLetter>(std::move(mapped)));
        }
    }
    return out;
}

void expect_same_fields(const Product& a, const Product& b) {
    EXPECT_EQ(a.external_id, b.external_id);
    EXPECT_EQ(a.parent_external_id, b.parent_external_id);
    EXPECT_EQ(a.sku, b.sku);
    EXPECT_EQ(a.barcode, b.barcode);
    EXPECT_EQ(a.title, b.title);
    EXPECT_EQ(a.brand, b.brand);
    EXPECT_EQ(a.category_external_id, b.category_external_id);
    EXPECT_EQ(a.price, b.price);
    EXPECT_EQ(a.currency, b.currency);
    EXPECT_EQ(a.stock, b.stock);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.source_modified_at, b.source_modified_at);
    EXPECT_EQ(a.platform_status, b.platform_status);
    EXPECT_EQ(a.scope, b.scope);
}

void expect_same_reading(const HttpResponse& response, const ProductPage& fast) {
    const ProductPage general = read_generally(response);
    EXPECT_EQ(fast.seen.rows, general.seen.rows);
    EXPECT_EQ(fast.seen.page_count, general.seen.page_count);
    EXPECT_EQ(fast.seen.max_modified, general.seen.max_modified);
    EXPECT_EQ(fast.total, general.total);
    ASSERT_EQ(fast.products.size(), general.products.size());
    for (std::size_t i = 0; i < fast.products.size(); ++i) {
        expect_same_fields(fast.products[i], general.products[i]);
        // The record's own bytes: the same JSON value as the one mapped.
        EXPECT_EQ(*parse_json_exact(fast.products[i].raw_json),
                  *parse_json_exact(general.products[i].raw_json));
    }
    ASSERT_EQ(fast.dead_letters.size(), general.dead_letters.size());
    for (std::size_t i = 0; i < fast.dead_letters.size(); ++i) {
        EXPECT_EQ(fast.dead_letters[i].record_key, general.dead_letters[i].record_key);
        EXPECT_EQ(fast.dead_letters[i].error, general.dead_letters[i].error);
    }
}

// Reads `body` with a fresh reader: on the fast path, as the general path reads it.
ProductPage read_on_the_fast_path(const std::string& body) {
    ProductPageReader reader;
    ProductPage page;
    const HttpResponse response = answer(body);
    EXPECT_TRUE(reader.read(response, shanghai(), kNow, page).ok());
    EXPECT_TRUE(page.fast);
    expect_same_reading(response, page);
    return page;
}

TEST(SunskyProductPage, SimulatorPagesReadOnTheFastPathAsTheGeneralPathReadsThem) {
    SimOptions o;
    o.seed = 11;
    o.products = 450;
    o.credentials = {{"key", kCreds.key}, {"secret", kCreds.secret}};
    o.now = [] { return kNow; };
    SunskySimulator sim(o);
    (void)sim.control([] {
        SimRequest r;
        r.method = "POST";
        r.path = "/__sim/sunsky/corrupt";
        r.query = {{"count", "7"}};
        return r;
    }());
    ProductPageReader reader;
    ProductPage page;
    std::size_t products = 0, letters = 0;
    for (int n = 1; n <= 5; ++n) {
        const HttpResponse response = raw_call(sim, "product!search",
                                               {{"gmtModifiedStart", "01/01/2000 00:00:00"},
                                                {"page", std::to_string(n)},
                                                {"pageSize", "100"}},
                                               kCreds);
        ASSERT_TRUE(reader.read(response, shanghai(), kNow, page).ok());
        EXPECT_TRUE(page.fast);
        expect_same_reading(response, page);
        for (const Product& p : page.products) {
            // Kept as sent: the exact bytes of the record inside the answer.
            EXPECT_NE(response.body.find(p.raw_json), std::string::npos);
        }
        products += page.products.size();
        letters += page.dead_letters.size();
    }
    EXPECT_EQ(products + letters, 450u);
    EXPECT_EQ(letters, 7u);  // the corrupted prices, as dead letters
}

TEST(SunskyProductPage, RecordsOutsideTheCommonShapeMapAsTheGeneralPathMapsThem) {
    const std::string body = R"({"result":"success","data":{"pageCount":1,"total":7,"result":[
      {"itemNo":"A1","status":1,"price":2.50,"stock":"3","gmtModified":"09/23/2023 02:01:02"},
      {"itemNo":"A2","status":1,"gmtModified":"09/23/2023 02:01:03","categoryId":"110265",
       "name":"caf\u00e9 \"quoted\"","nested":{"a":[1,2,{"b":null}]}},
      {"itemNo":"A3","status":9,"gmtModified":"09/23/2023 02:01:04"},
      {"status":1,"gmtModified":"09/23/2023 02:01:05"},
      {"itemNo":"A5","status":1,"gmtModified":"13/40/2023 02:01:05"},
      {"itemNo":"A6","itemNo":"A6b","status":1,"gmtModified":"09/23/2023 02:01:06"},
      {"itemNo":"A7","status":1,"stock":-0,"price":null,"gmtModified":"09/23/2023 02:01:07"}
    ]}})";
    const ProductPage page = read_on_the_fast_path(body);
    ASSERT_EQ(page.products.size(), 4u);
    EXPECT_EQ(page.products[0].price, Decimal::parse("2.50"));
    EXPECT_EQ(page.products[1].title, "caf\xc3\xa9 \"quoted\"");
    EXPECT_EQ(page.products[2].external_id, "A6b");  // the last of a repeated key, as nlohmann
    EXPECT_EQ(page.dead_letters.size(), 3u);

    // An answer with room for the parser's read-ahead (as the HTTP client leaves it) is read
    // where it lies, with the same outcome.
    HttpResponse roomy = answer(body);
    roomy.body.reserve(body.size() + 4096);
    ProductPageReader reader;
    ProductPage in_place;
    ASSERT_TRUE(reader.read(roomy, shanghai(), kNow, in_place).ok());
    EXPECT_TRUE(in_place.fast);
    expect_same_reading(roomy, in_place);
    ASSERT_EQ(in_place.products.size(), page.products.size());
    for (std::size_t i = 0; i < page.products.size(); ++i) {
        EXPECT_EQ(in_place.products[i].raw_json, page.products[i].raw_json);
    }
}

TEST(SunskyProductPage, EscapedKeysAndLineBreaksReadAsTheGeneralPathReadsThem) {
    // An escaped key names the same field once unescaped; a line break between fields (or a
    // record long enough for the word-wise scan) changes nothing.
    const std::string body = std::string(R"({"result":"success","data":{"pageCount":1,"result":[
      {"itemNo":"E1","brand\u004eame":"Brand","status":1,"gmtModified":"09/23/2023 02:01:02"},
      {"itemNo":"E2",
       "status":1,"gmtModified":"09/23/2023 02:01:03"},
      {"itemNo":"E3","status":1,"gmtModified":"09/23/2023 02:01:04","name":")") +
                             std::string(300, 'x') + R"("},
      {"itemNo":"E4","stat\\us":1,"status":3,"gmtModified":"09/23/2023 02:01:05"}
    ]}})";
    const ProductPage page = read_on_the_fast_path(body);
    ASSERT_EQ(page.products.size(), 4u);
    EXPECT_EQ(page.products[0].external_id, "E1");
    EXPECT_EQ(page.products[0].brand, "Brand");
    EXPECT_EQ(page.products[2].title, std::string(300, 'x'));
    EXPECT_EQ(page.products[3].status, ProductStatus::out_of_stock);
}

TEST(SunskyProductPage, RecycledProductsCarryNothingOver) {
    const std::string full = R"({"result":"success","data":{"pageCount":1,"result":[
      {"itemNo":"F1","groupItemNo":"G1","barcode":"690","name":"a long enough title to allocate",
       "brandName":"Brand","categoryId":110265,"price":"12.50","stock":4,"status":1,
       "gmtModified":"09/23/2023 02:01:02"},
      {"itemNo":"F2","groupItemNo":"G2","barcode":"691","name":"another long title, allocated",
       "brandName":"Brand","categoryId":"7","price":"3.10","stock":5,"status":3,
       "gmtModified":"09/23/2023 02:01:03"}
    ]}})";
    // Fewer fields, one record for the general path (a quoted stock) and one more record than
    // the recycled page held.
    const std::string sparse = R"({"result":"success","data":{"pageCount":1,"result":[
      {"itemNo":"S1","status":0,"gmtModified":"09/24/2023 02:01:02"},
      {"itemNo":"S2","status":1,"stock":"3","gmtModified":"09/24/2023 02:01:03"},
      {"itemNo":"S3","status":2,"price":null,"gmtModified":"09/24/2023 02:01:04"}
    ]}})";
    ProductPageReader reader;
    ProductPage page;
    ASSERT_TRUE(reader.read(answer(full), shanghai(), kNow, page).ok());
    ASSERT_EQ(page.products.size(), 2u);
    for (Product& p : page.products) {  // what a later owner may have set
        p.platform_status = "9";
        p.scope = "pass";
    }
    reader.recycle(std::move(page.products));
    for (const std::string* body : {&sparse, &full, &sparse}) {
        const HttpResponse response = answer(*body);
        ASSERT_TRUE(reader.read(response, shanghai(), kNow, page).ok());
        EXPECT_TRUE(page.fast);
        expect_same_reading(response, page);
        for (const Product& p : page.products) {
            EXPECT_NE(response.body.find(p.raw_json), std::string::npos) << p.raw_json;
        }
        reader.recycle(std::move(page.products));
    }
}

TEST(SunskyProductPage, EnvelopeShapesAndOrderAsThePlatformMaySendThem) {
    ProductPageReader reader;
    ProductPage page;
    // `result` after `data`, a null result list, pageCount as the only count.
    for (const char* body :
         {R"({"data":{"result":[],"pageCount":0},"result":"success"})",
          R"({"result":"success","data":{"pageCount":3,"result":null}})",
          R"(  {"result":"success","data":{"total":0,"pageCount":0,"result":[]},"extra":[1]} )"}) {
        const HttpResponse response = answer(body);
        ASSERT_TRUE(reader.read(response, shanghai(), kNow, page).ok()) << body;
        EXPECT_TRUE(page.fast) << body;
        expect_same_reading(response, page);
    }
}

TEST(SunskyProductPage, ErrorsKeepTheirTypes) {
    ProductPageReader reader;
    ProductPage page;
    const auto kind = [&](const std::string& body, int status = 200) {
        auto st = reader.read(answer(body, status), shanghai(), kNow, page);
        EXPECT_FALSE(st.ok()) << body;
        return st.ok() ? ErrorKind::transient : st.error().kind;
    };
    const std::string good = R"({"result":"success","data":{"pageCount":1,"result":[)"
                             R"({"itemNo":"A1","status":1,"gmtModified":"09/23/2023 02:01:02"}]}})";
    EXPECT_EQ(kind(good.substr(0, good.size() - 3)), ErrorKind::bad_response);  // truncated
    EXPECT_EQ(kind(good + "x"), ErrorKind::bad_response);                       // trailing bytes
    EXPECT_EQ(kind(std::string(5000, '[') + std::string(5000, ']')), ErrorKind::bad_response);
    std::string deep = good;
    deep.insert(deep.find("\"status\""),
                "\"deep\":" + std::string(600, '[') + std::string(600, ']') + ",");
    EXPECT_EQ(kind(deep), ErrorKind::bad_response);  // too deep inside a record
    std::string bad_atom = good;
    bad_atom.insert(bad_atom.find("\"status\""), "\"flag\":tru,");
    EXPECT_EQ(kind(bad_atom), ErrorKind::bad_response);  // malformed in a field nobody maps
    std::string raw_newline = good;
    raw_newline.replace(raw_newline.find("A1"), 2, "A\n1");
    EXPECT_EQ(kind(raw_newline), ErrorKind::bad_response);  // control byte inside a string
    EXPECT_EQ(kind(R"({"result":"success","data":{"result":[]}})"), ErrorKind::bad_response);
    EXPECT_EQ(kind(R"({"result":"error","messages":["NO_PERMISSION_DUE_TO_SIGNATURE"]})"),
              ErrorKind::auth);
    EXPECT_EQ(kind(R"({"result":"error","messages":["UP_TO_API_CALL_LIMIT_IN_MINUTE"]})"),
              ErrorKind::rate_limited);
    EXPECT_EQ(kind("busy", 503), ErrorKind::transient);
    EXPECT_EQ(kind("NO_PERMISSION_DUE_TO_USER_STATUS"), ErrorKind::auth);
    // A good answer after failures: the reader's buffers carry nothing over.
    ASSERT_TRUE(reader.read(answer(good), shanghai(), kNow, page).ok());
    EXPECT_TRUE(page.fast);
    ASSERT_EQ(page.products.size(), 1u);
    EXPECT_EQ(page.products[0].raw_json,
              R"({"itemNo":"A1","status":1,"gmtModified":"09/23/2023 02:01:02"})");
}

}  // namespace
}  // namespace csync::sunsky
