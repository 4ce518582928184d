// The Wshoto wire contract: envelope typing (code / sub_code, configurable auth codes), the token
// answer and its create_at-based end, request building and the record mapping.

#include <gtest/gtest.h>

#include "wshoto/wire.hpp"

namespace csync::wshoto {
namespace {

using nlohmann::json;

HttpResponse answer(const json& body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

TEST(WshotoEnvelope, SuccessIsCodeZeroWithSubCodeAbsentOrAllZeros) {
    const ErrorCodes codes;
    auto a =
        read_envelope(answer(json{{"code", 0}, {"msg", "ok"}, {"data", {{"x", 1}}}}), codes, "t");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ((*a)["x"], 1);
    auto b = read_envelope(answer(json{{"code", 0}, {"data", {{"x", 2}}}, {"sub_code", "00000"}}),
                           codes, "t");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ((*b)["x"], 2);
}

TEST(WshotoEnvelope, ErrorsAreTypedFromCodeSubCodeAndHttpStatus) {
    const ErrorCodes codes;
    auto kind = [&](const HttpResponse& r) { return read_envelope(r, codes, "t").error().kind; };
    EXPECT_EQ(kind(answer(json{{"code", 10001}, {"msg", "token"}})), ErrorKind::token_expired);
    EXPECT_EQ(kind(answer(json{{"code", 10010}})), ErrorKind::token_expired);
    EXPECT_EQ(kind(answer(json{{"code", 10011}})), ErrorKind::token_expired);
    EXPECT_EQ(kind(answer(json{{"code", 3}})), ErrorKind::transient);
    EXPECT_EQ(kind(answer(json{{"code", -1}})), ErrorKind::transient);
    EXPECT_EQ(kind(answer(json{{"code", 40001}})), ErrorKind::config);
    EXPECT_EQ(kind(answer(json{{"code", 0}, {"sub_code", "10002"}})), ErrorKind::config);
    EXPECT_EQ(kind(answer(json{{"code", 0}}, 429)), ErrorKind::rate_limited);
    EXPECT_EQ(kind(answer(json{{"code", 0}}, 502)), ErrorKind::transient);
    HttpResponse garbage;
    garbage.status = 200;
    garbage.body = "{\"code\":0,";
    EXPECT_EQ(kind(garbage), ErrorKind::bad_response);
    EXPECT_EQ(kind(answer(json{{"msg", "no code"}})), ErrorKind::bad_response);
}

TEST(WshotoEnvelope, AuthCodesAreConfigurable) {
    auto parsed = parse_code_list(" 40014, 42001 ", "auth_codes");
    ASSERT_TRUE(parsed.ok());
    ErrorCodes codes;
    codes.auth = *parsed;
    EXPECT_EQ(read_envelope(answer(json{{"code", 42001}}), codes, "t").error().kind,
              ErrorKind::token_expired);
    EXPECT_EQ(read_envelope(answer(json{{"code", 10001}}), codes, "t").error().kind,
              ErrorKind::config);
    auto bad = parse_code_list("10001,x", "auth_codes");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::config);
    EXPECT_NE(bad.error().message.find("auth_codes"), std::string::npos);
}

TEST(WshotoEnvelope, ADetailsBusinessExceptionMeansTheProductIsNotThere) {
    const ErrorCodes codes;
    auto gone = read_detail_envelope(
        answer(json{{"code", 0}, {"sub_code", "20001"}, {"msg", "产品不存在"}}), codes);
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(read_product_detail(*gone).has_value());
    auto empty = read_detail_envelope(answer(json{{"code", 0}, {"data", nullptr}}), codes);
    ASSERT_TRUE(empty.ok());
    EXPECT_FALSE(read_product_detail(*empty).has_value());
    // A refusal with a non-zero code is still an error, never a deletion.
    EXPECT_FALSE(read_detail_envelope(answer(json{{"code", 40001}}), codes).ok());
}

TEST(WshotoToken, TheDocsSampleEndsAtCreateAtPlusExpiresIn) {
    const ErrorCodes codes;
    auto t = read_token_response(
        answer(json{
            {"code", 0},
            {"msg", "ok"},
            {"data", {{"access_token", "tok"}, {"expires_in", 7200}, {"create_at", 1654841208}}}}),
        codes);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->access_token, "tok");
    EXPECT_EQ(token_expires_at(*t), UtcTime{std::chrono::seconds{1654841208 + 7200}});
}

TEST(WshotoToken, RefusalsAreTyped) {
    const ErrorCodes codes;
    EXPECT_EQ(read_token_response(answer(json{{"code", 1}, {"msg", "bad"}}), codes).error().kind,
              ErrorKind::auth);
    EXPECT_EQ(
        read_token_response(answer(json{{"code", 2}, {"msg", "调用频率拦截"}}), codes).error().kind,
        ErrorKind::rate_limited);
    EXPECT_EQ(
        read_token_response(answer(json{{"code", 0}, {"data", {{"access_token", "t"}}}}), codes)
            .error()
            .kind,
        ErrorKind::bad_response);
}

TEST(WshotoRequests, TokenAndBusinessCallsCarryTheirParameters) {
    auto token = build_token_request("http://h", Credentials{"app id", "s&cret"});
    EXPECT_EQ(token.method, "GET");
    EXPECT_EQ(token.url, "http://h/openapi/access_token?appid=app+id&app_secret=s%26cret");
    auto body = product_list_body(62, "0", 100);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ((*body)["product_status"], -1);
    EXPECT_EQ((*body)["cursor"], "0");
    auto call = build_call("http://h", kProductListPath, "tok", *body);
    EXPECT_EQ(call.method, "POST");
    EXPECT_EQ(call.url, "http://h" + std::string(kProductListPath) + "?access_token=tok");
    EXPECT_EQ(json::parse(call.body)["product_type_id"], 62);
    EXPECT_FALSE(product_list_body(62, "0", 101).ok());
    EXPECT_FALSE(product_list_body(62, std::string(33, '1'), 20).ok());
}

TEST(WshotoList, TheNextCursorIsTheDataOnesElseTheLastRecords) {
    json per_record{{"total", 2},
                    {"records",
                     {{{"product_library_id", 1}, {"max_cursor", "5"}},
                      {{"product_library_id", 2}, {"max_cursor", "9"}}}}};
    auto a = read_product_list(per_record);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->next_cursor, "9");
    json in_data = per_record;
    in_data["max_cursor"] = "12";
    EXPECT_EQ(read_product_list(in_data)->next_cursor, "12");
    EXPECT_FALSE(read_product_list(json{{"records", 3}}).ok());
}

TEST(WshotoMapping, AProductKeepsThePlatformsStatusAndHasNoPriceOrStock) {
    json record{{"product_library_id", 78},  {"product_type_id", 3},
                {"product_category_id", 62}, {"name", "茶"},
                {"product_code", "P-78"},    {"product_status", 2}};
    auto mapped = map_product(record);
    ASSERT_TRUE(std::holds_alternative<Product>(mapped));
    const Product& p = std::get<Product>(mapped);
    EXPECT_EQ(p.external_id, "78");
    EXPECT_EQ(p.sku, "P-78");
    EXPECT_EQ(p.title, "茶");
    EXPECT_EQ(p.category_external_id, "62");
    EXPECT_EQ(p.status, ProductStatus::inactive);
    EXPECT_EQ(p.platform_status, "2");
    EXPECT_FALSE(p.price.has_value());
    EXPECT_FALSE(p.stock.has_value());
    record["product_status"] = 1;
    EXPECT_EQ(std::get<Product>(map_product(record)).status, ProductStatus::active);
    EXPECT_TRUE(std::holds_alternative<DeadLetter>(map_product(json{{"name", "x"}})));
}

TEST(WshotoMapping, TheCategoryTreeHangsItsRootsUnderTheirType) {
    json root{{"product_category_id", 310},
              {"product_category_name", "r"},
              {"product_type_id", 3},
              {"parent_id", 3},
              {"children_category_list",
               {{{"product_category_id", 311}, {"product_type_id", 3}, {"parent_id", 310}}}}};
    std::vector<Category> rows;
    std::vector<DeadLetter> letters;
    map_category_tree(root, rows, letters);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].parent_external_id, "type:3");
    EXPECT_EQ(rows[1].parent_external_id, "310");
    EXPECT_TRUE(letters.empty());
    auto type = map_product_type(json{{"product_type_id", 3}, {"product_type_name", "n"}});
    ASSERT_TRUE(std::holds_alternative<Category>(type));
    EXPECT_EQ(std::get<Category>(type).external_id, "type:3");
}

}  // namespace
}  // namespace csync::wshoto
