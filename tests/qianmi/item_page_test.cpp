// The items stream's page reader (simdjson on demand) against the general path it replaces
// (read_envelope, read_listing, read_batch, map_item): the same typed errors and the same rows
// for the simulator's answers under every reading, for hand-written answers, and for malformed
// variants of each (truncated, garbage, wrong types, missing fields, big numbers, escapes).
#include <gtest/gtest.h>

#include "core/json_util.hpp"
#include "hot_pages_expect.hpp"
#include "qianmi/item_page.hpp"

namespace csync::qianmi {
namespace {

namespace hot = csync::testing::hot_pages;
using hot::answer;
using hot::expect_same_json;
using nlohmann::json;

void expect_same(const std::variant<MappedProduct, DeadLetter>& fast,
                 const std::variant<MappedProduct, DeadLetter>& general) {
    ASSERT_EQ(fast.index(), general.index());
    if (const auto* f = std::get_if<DeadLetter>(&fast)) {
        const auto& g = std::get<DeadLetter>(general);
        EXPECT_EQ(f->record_key, g.record_key);
        EXPECT_EQ(f->error, g.error);
        expect_same_json(f->payload, g.payload);
        return;
    }
    const Product& f = std::get<MappedProduct>(fast).product;
    const Product& g = std::get<MappedProduct>(general).product;
    EXPECT_EQ(std::get<MappedProduct>(fast).platform_status,
              std::get<MappedProduct>(general).platform_status);
    EXPECT_EQ(f.external_id, g.external_id);
    EXPECT_EQ(f.parent_external_id, g.parent_external_id);
    EXPECT_EQ(f.sku, g.sku);
    EXPECT_EQ(f.barcode, g.barcode);
    EXPECT_EQ(f.title, g.title);
    EXPECT_EQ(f.brand, g.brand);
    EXPECT_EQ(f.category_external_id, g.category_external_id);
    EXPECT_EQ(f.price.has_value(), g.price.has_value());
    if (f.price && g.price) {
        EXPECT_EQ(f.price->text(), g.price->text());
    }
    EXPECT_EQ(f.currency, g.currency);
    EXPECT_EQ(f.stock, g.stock);
    EXPECT_EQ(f.status, g.status);
    EXPECT_EQ(f.source_modified_at, g.source_modified_at);
    expect_same_json(f.raw_json, g.raw_json);
}

void expect_same_error(const Error& fast, const Error& general) {
    EXPECT_EQ(fast.kind, general.kind);
    EXPECT_EQ(fast.message, general.message);
}

// Reads `response` both ways; true when the reader took its fast path.
bool same_listing(ItemPageReader& reader, const HttpResponse& response) {
    auto fast = reader.read_listing(response);
    Result<ListingPage> general = Error::bad_response("unset");
    if (auto body = read_envelope(response, kItemsAllList); body.ok()) {
        general = read_listing(*body);
    } else {
        general = body.error();
    }
    EXPECT_EQ(fast.ok(), general.ok()) << response.body.substr(0, 300);
    if (!fast.ok() || !general.ok()) {
        if (!fast.ok() && !general.ok()) expect_same_error(fast.error(), general.error());
        return reader.fast();
    }
    EXPECT_EQ(fast->total_results, general->total_results);
    EXPECT_EQ(fast->entries.size(), general->entries.size());
    for (std::size_t i = 0; i < std::min(fast->entries.size(), general->entries.size()); ++i) {
        const ListingEntry& f = fast->entries[i];
        const ListingEntry& g = general->entries[i];
        EXPECT_EQ(f.num_iid, g.num_iid);
        EXPECT_EQ(f.modified, g.modified);
        EXPECT_EQ(f.modified_text, g.modified_text);
        EXPECT_EQ(f.cid, g.cid);
        EXPECT_EQ(f.brand_id, g.brand_id);
    }
    EXPECT_EQ(fast->dead_letters.size(), general->dead_letters.size());
    return reader.fast();
}

bool same_batch(ItemPageReader& reader, const HttpResponse& response,
                const ModifiedById& modified) {
    std::vector<BatchRow> fast;
    Status read = reader.read_batch(response, modified, fast);
    std::vector<BatchRow> general;
    Status general_status;
    if (auto body = read_envelope(response, kItemsListGet); !body.ok()) {
        general_status = body.error();
    } else if (auto rows = read_batch(*body); !rows.ok()) {
        general_status = rows.error();
    } else {
        for (const json& row : *rows) {
            std::string id = json_text(row, "num_iid").value_or("");
            auto m = modified.find(id);
            if (m != modified.end()) general.push_back({id, map_item(row, m->second)});
        }
    }
    EXPECT_EQ(read.ok(), general_status.ok()) << response.body.substr(0, 300);
    if (!read.ok() || !general_status.ok()) {
        if (!read.ok() && !general_status.ok()) {
            expect_same_error(read.error(), general_status.error());
        }
        return reader.fast();
    }
    EXPECT_EQ(fast.size(), general.size());
    for (std::size_t i = 0; i < std::min(fast.size(), general.size()); ++i) {
        EXPECT_EQ(fast[i].num_iid, general[i].num_iid);
        expect_same(fast[i].mapped, general[i].mapped);
    }
    return reader.fast();
}

// The listing's ids and times, and the batch of them.
struct Pages {
    HttpResponse listing;
    HttpResponse batch;
    ModifiedById modified;
};

Pages pages_of(hot::Qianmi& platform, std::int64_t page_no, std::string fields) {
    Pages p;
    p.listing = platform.listing(page_no, std::move(fields));
    auto listed = read_listing(*read_envelope(p.listing, kItemsAllList));
    std::vector<std::string> ids;
    for (const auto& e : listed->entries) {
        ids.push_back(e.num_iid);
        p.modified.emplace(e.num_iid, e.modified);
    }
    if (!ids.empty()) p.batch = platform.batch(ids);
    return p;
}

const std::vector<std::pair<std::string, std::string>> kSwaps = {
    {"\"price\":\"", "\"price\":true,\"p\":\""},
    {"\"price\":\"", "\"price\":12.5000,\"p\":\""},
    {"\"price\":\"", "\"price\":\"abc"},
    {"\"num\":", "\"num\":\"7.0000\",\"n\":"},
    {"\"num\":", "\"num\":99999999999999999999,\"n\":"},
    {"\"num\":", "\"num\":{\"a\":1},\"n\":"},
    {"\"num_iid\":", "\"num_iid\":null,\"x\":"},
    {"\"num_iid\":", "\"num_iid\":\"\",\"x\":"},
    {"\"num_iid\":\"", "\"num_iid\":\"P1\",\"num_iid\":\""},
    {"\"modified\":\"", "\"modified\":\"2024-13-01 00:00:00\",\"m\":\""},
    {"\"modified\":\"", "\"modified\":1717243200000,\"m\":\""},
    {"\"d2c_approve_status\":\"", "\"d2c_approve_status\":\"weird\",\"d\":\""},
    {"\"d2c_approve_status\":\"", "\"d2c_approve_status\":1,\"d\":\""},
    {"\"title\":\"", "\"title\":\"\\u6807\\u9898 \\ud83d\\ude00 "},
    {"\"total_results\":", "\"total_results\":-1,\"t\":"},
    {"\"total_results\":", "\"total_results\":\"12\",\"t\":"},
    {"\"item\":[", "\"item\":[7,"},
    {"\"item\":[", "\"item\":{\"num_iid\":\"P9\"},\"i\":["},
    {"\"items\":{", "\"items\":{\"total\":3,"},
    {"_response\":{", "_response\":{\"error_response\":{\"code\":25},"},
    {"{\"items_", "{\"error_response\":{\"code\":\"20\",\"msg\":\"expired\"},\"items_"},
    {"{\"items_", "{\"code\":37,\"message\":\"slow down\",\"items_"},
};

TEST(QianmiItemPage, SimulatorAnswersReadFastAndAlikeUnderEveryReading) {
    const std::vector<std::map<std::string, std::string>> readings = {
        {},
        {{"scalars", "string"}},
        {{"scalars", "number"}},
        {{"response_key", "full"}},
        {{"response_key", "other"}},
        {{"lone_object", "1"}},
        {{"omit_empty_lists", "1"}},
    };
    for (const auto& reading : readings) {
        hot::Qianmi platform(120, reading);
        ItemPageReader reader;
        for (std::int64_t page_no : {0, 2, 3}) {
            for (const char* fields : {"num_iid,modified", "num_iid,modified,cid,brand_id"}) {
                const Pages p = pages_of(platform, page_no, fields);
                const bool fast_listing = same_listing(reader, p.listing);
                const bool fast_batch =
                    p.batch.body.empty() || same_batch(reader, p.batch, p.modified);
                // Lists of objects are the fast path's shape, whatever the success key's name.
                if ((reading.empty() || reading.count("response_key") ||
                     reading.count("scalars")) &&
                    page_no < 3) {
                    EXPECT_TRUE(fast_listing) << p.listing.body.substr(0, 200);
                    EXPECT_TRUE(fast_batch) << p.batch.body.substr(0, 200);
                }
            }
        }
    }
}

TEST(QianmiItemPage, MalformedVariantsGiveTheGeneralPathsErrorsAndRows) {
    hot::Qianmi platform(120);
    const Pages p = pages_of(platform, 0, "num_iid,modified,cid,brand_id");
    ItemPageReader reader;
    for (const std::string& body : hot::variants(p.listing.body, kSwaps)) {
        same_listing(reader, answer(body));
    }
    for (const std::string& body : hot::variants(p.batch.body, kSwaps)) {
        same_batch(reader, answer(body), p.modified);
    }
}

TEST(QianmiItemPage, HandWrittenAnswersAndHttpStatuses) {
    const ModifiedById modified = {{"P1555", std::nullopt}, {"7", std::nullopt}};
    const std::vector<std::string> bodies = {
        R"({"items_list_get_response":{"items":{"item":[{"num_iid":"P1555","title":"…","price":"12.50","num":7,"outer_id":"SKU-A","cid":"1003","d2c_approve_status":"onsale","modified":"2024-01-02 03:04:05"}]}}})",
        R"({"items_list_get_response":{"items":{"item":[{"num_iid":7,"price":12.5,"num":"3","approve_status":"instock"},{"num_iid":"unasked"}]}}})",
        R"({"items_list_get_response":{"items":{"item":[{"num_iid":"P1555","price":"1e3","num":1.5,"d2p_approve_status":"0"}]}}})",
        R"({"items_list_get_response":{"items":{"item":[{"num_iid":"P1555"}]}}})",
        R"({"items_list_get_response":{"items":{"item":[]}}})",
        R"({"items_list_get_response":{}})",
        R"({"items_list_get_response":{"items":{"item":[{"num_iid":"P1555","num_iid":"7","d2c_approve_status":"onsale"}]}}})",
        R"({"error_response":{"code":"25","msg":"bad sign","sub_code":"isv.x"}})",
        R"({"errorToken":"t","code":"1","message":"busy","subErrors":{"subError":[{"code":"isp.down","message":"x"}]}})",
        R"({"items_all_list_response":{"total_results":2,"items":{"item":[{"num_iid":"P1","modified":"2024-01-02 03:04:05","cid":5},{"num_iid":"P2","modified":""}]}}})",
        R"({"items_all_list_response":{"total_results":0}})",
        R"({"items_all_list_response":{"items":{"item":[]}}})",
    };
    ItemPageReader reader;
    for (const std::string& body : bodies) {
        for (int status : {200, 400, 429, 503}) {
            same_batch(reader, answer(body, status), modified);
            same_listing(reader, answer(body, status));
        }
    }
    // The first answer is the common shape: read fast, mapped with its time taken as GMT+8.
    std::vector<BatchRow> rows;
    ASSERT_TRUE(reader.read_batch(answer(bodies[0]), modified, rows).ok());
    EXPECT_TRUE(reader.fast());
    ASSERT_EQ(rows.size(), 1u);
    const Product& p = std::get<MappedProduct>(rows[0].mapped).product;
    EXPECT_EQ(p.price->text(), "12.5");  // exact: Decimal drops the trailing zero
    EXPECT_EQ(p.source_modified_at, UtcTime{std::chrono::seconds{1'704'135'845}});
    EXPECT_EQ(p.raw_json.front(), '{');
    EXPECT_NE(p.raw_json.find("\"SKU-A\""), std::string::npos);
}

}  // namespace
}  // namespace csync::qianmi
