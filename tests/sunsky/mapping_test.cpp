// Pure mapping of Sunsky records: exact decimals, the account zone to UTC, statuses per the
// seed's appendices, and dead letters for records that cannot be mapped.
#include <variant>

#include <gtest/gtest.h>

#include "core/json_util.hpp"
#include "sunsky/mapping.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

// Field names and values of the real record dump in shared/platforms/sunsky.md §5.1.
json real_record() {
    return *parse_json_exact(R"({
      "id": 2945766, "itemNo": "EDA004994405C", "groupItemNo": "EDA0049944",
      "name": "Charging Cable, Length: 1m", "categoryId": 110265, "status": 1,
      "price": "2.6600", "priceList": [{"key": 1, "value": "2.6600"}], "stock": 0, "moq": 0,
      "warehouse": "CN", "gmtModified": "09/23/2023 02:01:02", "gmtListed": "09/21/2023 21:42:55",
      "packWeight": "17.000", "barcode": "6922837204098", "brandName": "HAWEEL",
      "modelLabel": "Color", "oem": false})");
}

TimeZone zone(const char* name) { return *TimeZone::from_name(name); }

TEST(SunskyMapping, RealRecordMapsToOneSku) {
    auto mapped = map_product(real_record(), zone("Asia/Shanghai"));
    ASSERT_TRUE(std::holds_alternative<Product>(mapped)) << std::get<DeadLetter>(mapped).error;
    const Product& p = std::get<Product>(mapped);
    EXPECT_EQ(p.external_id, "EDA004994405C");
    EXPECT_EQ(p.sku, "EDA004994405C");
    EXPECT_EQ(p.parent_external_id, "EDA0049944");
    EXPECT_EQ(p.title, "Charging Cable, Length: 1m");
    EXPECT_EQ(p.brand, "HAWEEL");
    EXPECT_EQ(p.barcode, "6922837204098");
    EXPECT_EQ(p.category_external_id, "110265");
    ASSERT_TRUE(p.price);
    EXPECT_EQ(p.price->text(), "2.66");
    EXPECT_EQ(p.currency, "USD");
    EXPECT_EQ(p.stock, 0);
    EXPECT_EQ(p.status, ProductStatus::active);
    // 02:01:02 in Shanghai (UTC+8) is 18:01:02 UTC the day before.
    ASSERT_TRUE(p.source_modified_at);
    EXPECT_EQ(format_utc_iso(*p.source_modified_at), "2023-09-22T18:01:02Z");
    EXPECT_EQ(json::parse(p.raw_json)["itemNo"], "EDA004994405C");
}

TEST(SunskyMapping, PricesStayExactWhateverTheirJsonType) {
    for (const auto& [body, expected] : std::vector<std::pair<std::string, std::string>>{
             {R"("0.1000")", "0.1"},
             {"550.0000", "550"},
             {"12345678901234567.8901", "12345678901234567.8901"},
             {"3.125", "3.125"},
             {"7", "7"}}) {
        auto rec = *parse_json_exact(
            R"({"itemNo":"A","status":1,"gmtModified":"01/01/2024 00:00:00","price":)" + body +
            "}");
        auto mapped = map_product(rec, TimeZone::utc());
        ASSERT_TRUE(std::holds_alternative<Product>(mapped)) << body;
        EXPECT_EQ(std::get<Product>(mapped).price->text(), expected) << body;
    }
}

TEST(SunskyMapping, TheAccountZoneConvertsToUtc) {
    json rec = real_record();
    rec["gmtModified"] = "03/10/2024 02:30:00";  // inside New York's DST gap
    auto ny = std::get<Product>(map_product(rec, zone("America/New_York")));
    EXPECT_EQ(format_utc_iso(*ny.source_modified_at), "2024-03-10T07:00:00Z");
    rec["gmtModified"] = "12/31/2023 23:59:59";
    auto fixed = std::get<Product>(map_product(rec, zone("-05:30")));
    EXPECT_EQ(format_utc_iso(*fixed.source_modified_at), "2024-01-01T05:29:59Z");
    auto utc = std::get<Product>(map_product(rec, TimeZone::utc()));
    EXPECT_EQ(format_utc_iso(*utc.source_modified_at), "2023-12-31T23:59:59Z");
}

TEST(SunskyMapping, StatusesFollowTheSeedsAppendixB) {
    const std::pair<int, ProductStatus> cases[] = {{0, ProductStatus::inactive},
                                                   {1, ProductStatus::active},
                                                   {2, ProductStatus::deleted},
                                                   {3, ProductStatus::out_of_stock}};
    for (const auto& [code, expected] : cases) {
        json rec = real_record();
        rec["status"] = std::to_string(code);  // strings are accepted as well as numbers
        EXPECT_EQ(std::get<Product>(map_product(rec, TimeZone::utc())).status, expected) << code;
    }
}

TEST(SunskyMapping, OptionalFieldsMayBeAbsent) {
    auto rec = json{{"itemNo", "X1"}, {"status", 1}, {"gmtModified", "01/02/2024 03:04:05"}};
    auto p = std::get<Product>(map_product(rec, TimeZone::utc()));
    EXPECT_FALSE(p.price);
    EXPECT_FALSE(p.stock);
    EXPECT_EQ(p.parent_external_id, "");
    EXPECT_EQ(p.barcode, "");
}

TEST(SunskyMapping, UnmappableRecordsBecomeDeadLetters) {
    struct Case {
        const char* field;
        json value;
        const char* error_part;
    };
    const Case cases[] = {{"itemNo", nullptr, "without itemNo"},
                          {"price", "2,66", "not a decimal"},
                          {"price", "1e3", "not a decimal"},
                          {"stock", "many", "not an integer"},
                          {"status", 9, "unknown product status 9"},
                          {"status", nullptr, "status missing"},
                          {"gmtModified", "2023-09-23 02:01:02", "not MM/dd/yyyy"},
                          {"gmtModified", nullptr, "without gmtModified"}};
    for (const auto& c : cases) {
        json rec = real_record();
        if (c.value.is_null()) {
            rec.erase(c.field);
        } else {
            rec[c.field] = c.value;
        }
        auto mapped = map_product(rec, TimeZone::utc());
        ASSERT_TRUE(std::holds_alternative<DeadLetter>(mapped)) << c.field;
        const auto& d = std::get<DeadLetter>(mapped);
        EXPECT_NE(d.error.find(c.error_part), std::string::npos) << d.error;
        EXPECT_EQ(json::parse(d.payload), rec);
        if (std::string(c.field) != "itemNo") {
            EXPECT_EQ(d.record_key, "itemNo=EDA004994405C");
        }
    }
    EXPECT_TRUE(std::holds_alternative<DeadLetter>(map_product(json::array(), TimeZone::utc())));
}

TEST(SunskyMapping, CategoriesMapWithParentStatusAndTime) {
    auto rec = json{{"id", 1032},
                    {"code", "003"},
                    {"name", "N Style Phone"},
                    {"parentId", 408},
                    {"status", 1},
                    {"gmtCreated", "01/31/2013 00:00"},
                    {"gmtModified", "10/31/2013 01:23:20"}};
    auto c = std::get<Category>(map_category(rec, zone("Asia/Shanghai")));
    EXPECT_EQ(c.external_id, "1032");
    EXPECT_EQ(c.parent_external_id, "408");
    EXPECT_EQ(c.code, "003");
    EXPECT_EQ(c.name, "N Style Phone");
    EXPECT_EQ(c.status, "active");
    EXPECT_EQ(format_utc_iso(*c.source_modified_at), "2013-10-30T17:23:20Z");

    rec["parentId"] = 0;
    rec["status"] = 2;
    rec.erase("gmtModified");  // the notes' example has only gmtCreated
    auto top = std::get<Category>(map_category(rec, TimeZone::utc()));
    EXPECT_EQ(top.parent_external_id, "");
    EXPECT_EQ(top.status, "deleted");
    EXPECT_FALSE(top.source_modified_at);

    rec["status"] = 0;
    EXPECT_EQ(std::get<Category>(map_category(rec, TimeZone::utc())).status, "inactive");
    rec["status"] = 5;
    EXPECT_TRUE(std::holds_alternative<DeadLetter>(map_category(rec, TimeZone::utc())));
    rec.erase("id");
    EXPECT_TRUE(std::holds_alternative<DeadLetter>(map_category(rec, TimeZone::utc())));
}

}  // namespace
}  // namespace csync::sunsky
