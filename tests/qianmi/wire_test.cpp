// The request builder, both error shapes and their typing, the success envelope and list
// unwrapping, the OAuth refresh call, the item APIs' parameters and the item mapping.
#include <gtest/gtest.h>

#include "core/json_util.hpp"
#include "qianmi/spec.hpp"
#include "qianmi/wire.hpp"

namespace csync::qianmi {
namespace {

using nlohmann::json;

const Credentials kApp{"test_app_key", "test_secret", "tok123", "rt-1"};
const UtcTime kAt{std::chrono::seconds{1'704'135'845}};  // 2024-01-02 03:04:05 GMT+8

HttpResponse answer(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Error error_of(const std::string& body, int status = 200) {
    auto r = read_envelope(answer(body, status), kItemsListGet);
    EXPECT_FALSE(r.ok()) << body;
    return r.ok() ? Error{} : r.error();
}

std::string query_of(const HttpRequest& r) { return r.url.substr(r.url.find('?') + 1); }

TEST(QianmiRequest, SystemParametersAndSignInTheQueryBusinessInTheBody) {
    auto r = build_request("https://api.qianmi.com/api", kApp, "tok123", kItemsListGet,
                           {{"fields", "num_iid,title,price"}, {"num_iids", "P1555,P12131"}}, kAt)
                 .value();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url.substr(0, r.url.find('?')), "https://api.qianmi.com/api");
    auto query = parse_form(query_of(r));
    std::map<std::string, std::string> q(query.begin(), query.end());
    EXPECT_EQ(q.size(), 7u);
    EXPECT_EQ(q["method"], "qianmi.cloudshop.items.list.get");
    EXPECT_EQ(q["appKey"], "test_app_key");
    EXPECT_EQ(q["v"], "1.1");
    EXPECT_EQ(q["format"], "json");
    EXPECT_EQ(q["timestamp"], "2024-01-02 03:04:05");
    EXPECT_EQ(q["access_token"], "tok123");
    EXPECT_EQ(q["sign"], "95127CE78386DB5E664084818319B68A18A99F5E");  // vector Q2
    EXPECT_NE(query_of(r).find("timestamp=2024-01-02+03%3A04%3A05"), std::string::npos);
    EXPECT_EQ(r.body, "fields=num_iid%2Ctitle%2Cprice&num_iids=P1555%2CP12131");
    EXPECT_EQ(r.header("Content-Type"), "application/x-www-form-urlencoded;charset=UTF-8");
    EXPECT_EQ(query_of(r).find("test_secret"), std::string::npos);
}

TEST(QianmiRequest, NoTokenNoAccessTokenParameter) {
    auto r = build_request("http://gw.api.qianmi.com/api", kApp, "", kItemsListGet,
                           {{"fields", "num_iid,title,price"}, {"num_iids", "P1555,P12131"}}, kAt)
                 .value();
    EXPECT_EQ(query_of(r).find("access_token"), std::string::npos);
    EXPECT_NE(r.url.find("sign=B6439F957AEF92770E8C197A9DCB32CA809E2802"), std::string::npos);
}

TEST(QianmiRequest, Utf8ValuesArePercentEncodedByteByByte) {
    auto r = build_request("http://sim/api", kApp, "tok123", kItemsListGet,
                           {{"title", "测试 A+B&C"}}, kAt)
                 .value();
    EXPECT_EQ(r.body, "title=%E6%B5%8B%E8%AF%95+A%2BB%26C");
    EXPECT_EQ(parse_form(r.body)[0].second, "测试 A+B&C");
}

TEST(QianmiRequest, AGatewayUrlWithAQueryAndAFreshTimestampPerBuild) {
    auto a = build_request("http://sim/api?x=1", kApp, "t", kItemGet, {}, kAt).value();
    EXPECT_EQ(a.url.rfind("http://sim/api?x=1&method=", 0), 0u) << a.url;
    auto b = build_request("http://sim/api", kApp, "t", kItemGet, {}, kAt + std::chrono::seconds{1})
                 .value();
    EXPECT_NE(b.url.find("timestamp=2024-01-02+03%3A04%3A06"), std::string::npos);
}

TEST(QianmiRequest, RefusesSystemNamesAsBusinessParametersAndMissingCredentials) {
    for (const char* name : {"sign", "timestamp", "appKey", "method", "access_token"}) {
        auto r = build_request("http://sim/api", kApp, "t", kItemGet, {{name, "x"}}, kAt);
        ASSERT_FALSE(r.ok()) << name;
        EXPECT_EQ(r.error().kind, ErrorKind::config);
    }
    auto r = build_request("http://sim/api", Credentials{"k", "", "", ""}, "t", kItemGet, {}, kAt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
}

TEST(QianmiCredentials, NamesTheMissingOneAndListsTheSecrets) {
    auto missing = credentials_from({{"app_key", "k"}});
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("app_secret"), std::string::npos);
    auto c =
        credentials_from(
            {{"app_key", "k"}, {"app_secret", "s"}, {"access_token", "a"}, {"refresh_token", "r"}})
            .value();
    EXPECT_EQ(secret_values(c), (std::vector<std::string>{"s", "a", "r"}));
}

TEST(QianmiEnvelope, SuccessUnderItsKeyOrTheFirstObjectMember) {
    EXPECT_EQ(response_key(kItemsListGet), "items_list_get_response");
    EXPECT_EQ(response_key(kItemsAllList), "items_all_list_response");
    EXPECT_EQ(response_key("qianmi.cloudshop.d2p.trades.sold.get"), "d2p_trades_sold_get_response");
    auto named = read_envelope(
        answer(R"({"items_list_get_response":{"items":{"item":[{"num_iid":"P1555"}]}}})"),
        kItemsListGet);
    ASSERT_TRUE(named.ok());
    EXPECT_TRUE(named->contains("items"));
    auto other = read_envelope(answer(R"({"note":"x","something_response":{"total_results":3}})"),
                               kItemsAllList);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ((*other)["total_results"], 3);
}

TEST(QianmiEnvelope, GarbageTruncatedAndServerErrorsAreTyped) {
    EXPECT_EQ(error_of("<html>502</html>").kind, ErrorKind::bad_response);
    EXPECT_EQ(error_of(R"({"items_list_get_response":{"items":{"it)").kind,
              ErrorKind::bad_response);
    EXPECT_EQ(error_of("[1,2]").kind, ErrorKind::bad_response);
    EXPECT_EQ(error_of(R"({"a":1})").kind, ErrorKind::bad_response);
    EXPECT_EQ(error_of("oops", 503).kind, ErrorKind::transient);
    EXPECT_EQ(error_of("", 429).kind, ErrorKind::rate_limited);
    EXPECT_EQ(error_of("not found", 404).kind, ErrorKind::bad_response);
}

TEST(QianmiEnvelope, RopShapeWithSubErrorsAsAnArray) {
    Error e = error_of(
        R"({"errorToken":"abc","code":"33","message":"非法的参数","solution":"s",
            "subErrors":[{"code":"isv.invalid-paramete:num_iids","message":"bad"}]})");
    EXPECT_EQ(e.kind, ErrorKind::config);
    EXPECT_NE(e.message.find("isv.invalid-paramete:num_iids"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("33"), std::string::npos);
}

TEST(QianmiEnvelope, RopShapeWithSubErrorsWrappedAsTheSeedShowsIt) {
    auto err = find_error(parse_json_exact(R"({"errorToken":"@@$-ERROR_TOKEN$-@@","code":"33",
        "message":"非法的参数","solution":"请查看根据服务接口对参数格式的要求",
        "subErrors":{"subError":[{"code":"isv.invalid-paramete:XXXX",
        "message":"参数XXXX无效,格式不对、非法值、越界等"}]}})")
                              .value());
    ASSERT_TRUE(err);
    EXPECT_EQ(err->code, "33");
    EXPECT_EQ(err->sub_code, "isv.invalid-paramete:XXXX");
    EXPECT_EQ(err->sub_message, "参数XXXX无效,格式不对、非法值、越界等");
}

TEST(QianmiEnvelope, WrappedShapeAndNumericCodes) {
    auto err = find_error(parse_json_exact(
                              R"({"error_response":{"code":21,"msg":"无效的会话",
                                  "sub_code":"isv.x","sub_msg":"y"}})")
                              .value());
    ASSERT_TRUE(err);
    EXPECT_EQ(err->code, "21");
    EXPECT_EQ(err->sub_code, "isv.x");
    EXPECT_EQ(error_of(R"({"error_response":{"code":21,"msg":"无效的会话"}})").kind,
              ErrorKind::token_expired);
    EXPECT_EQ(
        error_of(R"({"errorToken":"abc","code":"25","message":"无效签名","solution":"x"})").kind,
        ErrorKind::auth);
}

TEST(QianmiEnvelope, CodesAreTypedPerTheNotes) {
    auto kind = [](const char* code, const char* sub = "") {
        return classify_error(PlatformError{code, "m", sub, ""}).kind;
    };
    EXPECT_EQ(kind("25"), ErrorKind::auth);
    EXPECT_EQ(kind("23"), ErrorKind::auth);
    EXPECT_EQ(kind("3"), ErrorKind::auth);
    EXPECT_EQ(kind("20"), ErrorKind::token_expired);
    EXPECT_EQ(kind("21"), ErrorKind::token_expired);
    for (const char* quota : {"34", "35", "36", "37"}) {
        Error e = classify_error(PlatformError{quota, "m", "", ""});
        EXPECT_EQ(e.kind, ErrorKind::rate_limited) << quota;
        EXPECT_TRUE(e.retry_after) << quota;
    }
    EXPECT_EQ(classify_error(PlatformError{"37", "", "", ""}).retry_after,
              std::chrono::milliseconds{1'000});
    EXPECT_EQ(kind("9", "isp.remote-service-error"), ErrorKind::transient);
    EXPECT_EQ(kind("33", "isp.db-timeout"), ErrorKind::transient);
    EXPECT_EQ(kind("1"), ErrorKind::transient);
    EXPECT_EQ(kind("38"), ErrorKind::transient);
    EXPECT_EQ(kind("33", "isv.invalid-paramete:page_size"), ErrorKind::config);
    EXPECT_EQ(kind("32", "isv.missing-parameter:fields"), ErrorKind::config);
    EXPECT_EQ(kind("2"), ErrorKind::config);
    EXPECT_EQ(kind("999"), ErrorKind::bad_response);
    EXPECT_EQ(kind("x"), ErrorKind::bad_response);
    Error e =
        classify_error(PlatformError{"33", "非法的参数", "isv.invalid-paramete:num_iids", ""});
    EXPECT_NE(e.message.find("isv.invalid-paramete:num_iids"), std::string::npos);
}

TEST(QianmiEnvelope, MessagesCarryNeitherTheSecretNorTheSign) {
    auto r = build_request("http://sim/api", kApp, "tok123", kItemsListGet, {}, kAt).value();
    const std::string sign = r.url.substr(r.url.find("sign=") + 5, 40);
    Error e = error_of(R"({"errorToken":"abc","code":"25","message":"无效签名"})");
    EXPECT_EQ(e.message.find("test_secret"), std::string::npos);
    EXPECT_EQ(e.message.find(sign), std::string::npos);
    EXPECT_NE(e.message.find("app_secret"), std::string::npos);  // names what to check
}

TEST(QianmiLists, DoublyWrappedLoneObjectBareAndAbsent) {
    auto rows = [](const char* text) {
        return unwrap_list(parse_json_exact(text).value(), "items", "item");
    };
    EXPECT_EQ(rows(R"({"items":{"item":[{"num_iid":"a"},{"num_iid":"b"}]}})")->size(), 2u);
    EXPECT_EQ(rows(R"({"items":{"item":{"num_iid":"a"}}})")->size(), 1u);
    EXPECT_EQ(rows(R"({"items":[{"num_iid":"a"}]})")->size(), 1u);
    EXPECT_EQ(rows(R"({"items":{"num_iid":"a"}})")->size(), 1u);
    EXPECT_EQ(rows(R"({"total_results":0})")->size(), 0u);
    EXPECT_EQ(rows(R"({"items":null})")->size(), 0u);
    EXPECT_EQ(rows(R"({"items":{}})")->size(), 0u);
    EXPECT_EQ(rows(R"({"items":{"item":[]}})")->size(), 0u);
    EXPECT_FALSE(rows(R"({"items":"P1"})").ok());
    EXPECT_FALSE(rows(R"({"items":{"goods":[1]}})").ok());
    // The SDK's fallback: the list name minus its last character.
    EXPECT_EQ(unwrap_list(parse_json_exact(R"({"skus":{"sku":[{"sku_id":"g1"}]}})").value(), "skus")
                  ->size(),
              1u);
}

TEST(QianmiRefresh, TheSignedFormPost) {
    auto r = build_refresh_request("", kApp, "rt-1").value();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "http://oauth.qianmi.com/token");
    EXPECT_EQ(r.body,
              "client_id=test_app_key&grant_type=refresh_token&refresh_token=rt-1&sign="
              "AB15A74E796B49860F48472CFED0A782AB2835F1");
    auto none = build_refresh_request("http://sim/token", kApp, "");
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().kind, ErrorKind::auth);
}

TEST(QianmiRefresh, BothAnswerForms) {
    auto data = read_refresh_response(
        answer(R"({"errorCode":0,"errorMessage":null,"data":{"access_token":"a2",
                   "refresh_token":"r2","expires_in":86400,"re_expires_in":2592000}})"),
        "r1", kAt);
    ASSERT_TRUE(data.ok()) << data.error().message;
    EXPECT_EQ(data->access_token, "a2");
    EXPECT_EQ(data->refresh_token, "r2");
    EXPECT_EQ(data->expires_in, std::chrono::seconds{86400});
    EXPECT_EQ(data->obtained_at, kAt);
    auto status = read_refresh_response(
        answer(R"({"status":1,"access_token":"a3","refresh_token":"r3","expires_in":"3600"})"),
        "r1", kAt);
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(status->access_token, "a3");
    EXPECT_EQ(status->expires_in, std::chrono::seconds{3600});
    auto kept =
        read_refresh_response(answer(R"({"status":"1","data":{"access_token":"a4"}})"), "r1", kAt);
    ASSERT_TRUE(kept.ok());
    EXPECT_EQ(kept->refresh_token, "r1");
    EXPECT_FALSE(kept->expires_in);
}

TEST(QianmiRefresh, RefusalsTellTheOperatorWhatToDo) {
    for (const char* body : {R"({"errorCode":1003,"errorMessage":"refresh_token无效"})",
                             R"({"status":0,"message":"refresh token expired"})"}) {
        auto r = read_refresh_response(answer(body), "r1", kAt);
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(r.error().kind, ErrorKind::auth);
        EXPECT_NE(r.error().message.find("authorise the app again and put the new refresh_token "
                                         "in the config"),
                  std::string::npos);
        EXPECT_EQ(r.error().message.find("r1"), std::string::npos);
    }
    EXPECT_EQ(read_refresh_response(answer("x", 502), "r1", kAt).error().kind,
              ErrorKind::transient);
    // The gateway's throttling and platform-side failures leave the refresh token good.
    auto throttled = read_refresh_response(
        answer(R"({"errorToken":"t","code":"37","message":"应用调用服务的频率超限"})"), "r1", kAt);
    ASSERT_FALSE(throttled.ok());
    EXPECT_EQ(throttled.error().kind, ErrorKind::rate_limited);
    EXPECT_NE(throttled.error().message.find("token endpoint"), std::string::npos);
    auto unavailable = read_refresh_response(
        answer(R"({"error_response":{"code":"7","msg":"服务不可用"}})"), "r1", kAt);
    ASSERT_FALSE(unavailable.ok());
    EXPECT_EQ(unavailable.error().kind, ErrorKind::transient);
    EXPECT_EQ(read_refresh_response(answer("<html>"), "r1", kAt).error().kind,
              ErrorKind::bad_response);
    EXPECT_EQ(read_refresh_response(answer(R"({"errorCode":0,"data":{}})"), "r1", kAt).error().kind,
              ErrorKind::bad_response);
}

TEST(QianmiItemApis, ParametersAndTheirLimits) {
    auto page = listing_params(0, 50, "cid").value();
    EXPECT_EQ(page, (Params{{"fields", "num_iid,modified"},
                            {"page_no", "0"},
                            {"page_size", "50"},
                            {"order_by", "cid:asc"}}));
    EXPECT_EQ(listing_params(3, 10, "num:desc").value()[3].second, "num:desc");
    EXPECT_FALSE(listing_params(0, 51, "cid").ok());
    EXPECT_FALSE(listing_params(0, 0, "cid").ok());
    EXPECT_FALSE(listing_params(-1, 50, "cid").ok());
    EXPECT_FALSE(listing_params(0, 50, "modified").ok());
    EXPECT_FALSE(listing_params(0, 50, "cid:up").ok());

    std::vector<std::string> ids;
    for (int i = 0; i < 50; ++i) ids.push_back("P" + std::to_string(i));
    auto batch = batch_params(ids).value();
    EXPECT_EQ(batch[0].second, kListGetFields);
    EXPECT_EQ(batch[0].second.find("modified"), std::string::npos);
    EXPECT_EQ(batch[1].second.substr(0, 6), "P0,P1,");
    ids.push_back("P50");
    EXPECT_FALSE(batch_params(ids).ok());
    EXPECT_FALSE(batch_params({}).ok());
    EXPECT_FALSE(batch_params({"P1,P2"}).ok());
    EXPECT_EQ(item_params("P1")[1], (std::pair<std::string, std::string>{"num_iid", "P1"}));
}

TEST(QianmiItemApis, ListingPageWithItsTimesInGmt8) {
    auto page = read_listing(parse_json_exact(R"({"total_results":"3","items":{"item":[
        {"num_iid":"P1","modified":"2024-01-02 03:04:05"},{"num_iid":1447783,"modified":"bad"},
        {"modified":"2024-01-02 03:04:05"}]}})")
                                 .value())
                    .value();
    EXPECT_EQ(page.total_results, 3);
    ASSERT_EQ(page.entries.size(), 2u);
    EXPECT_EQ(page.entries[0].num_iid, "P1");
    EXPECT_EQ(page.entries[0].modified, kAt);
    EXPECT_EQ(page.entries[1].num_iid, "1447783");
    EXPECT_FALSE(page.entries[1].modified);  // unreadable: the caller fetches it
    EXPECT_EQ(page.entries[1].modified_text, "bad");
    EXPECT_EQ(page.dead_letters.size(), 1u);
    EXPECT_FALSE(read_listing(parse_json_exact(R"({"items":{"item":[]}})").value()).ok());
}

TEST(QianmiMapping, AnItemBecomesAProductWithExactCnyAndItsShelfStatus) {
    const json item = parse_json_exact(
                          R"({"num_iid":"P1555","title":"测试商品A","price":12.50,"num":"7",
                              "outer_id":"SKU-A","cid":"1003","brand_name":"牌",
                              "d2c_approve_status":"instock","d2p_approve_status":"onsale"})")
                          .value();
    auto mapped = map_item(item, kAt);
    ASSERT_TRUE(std::holds_alternative<MappedProduct>(mapped));
    const auto& m = std::get<MappedProduct>(mapped);
    EXPECT_EQ(m.product.external_id, "P1555");
    EXPECT_EQ(m.product.sku, "SKU-A");
    EXPECT_EQ(m.product.price->text(), "12.5");
    EXPECT_EQ(m.product.currency, "CNY");
    EXPECT_EQ(m.product.stock, 7);
    EXPECT_EQ(m.product.status, ProductStatus::active);
    EXPECT_EQ(m.product.source_modified_at, kAt);
    EXPECT_EQ(m.product.category_external_id, "1003");
    EXPECT_EQ(m.platform_status, "d2c=instock;d2p=onsale");
    EXPECT_EQ(m.product.raw_json, item.dump());

    json off = item;
    off["d2p_approve_status"] = "instock";
    off.erase("outer_id");
    const auto mapped_off = map_item(off, std::nullopt);
    const auto& o = std::get<MappedProduct>(mapped_off);
    EXPECT_EQ(o.product.status, ProductStatus::inactive);
    EXPECT_EQ(o.product.sku, "P1555");
    EXPECT_FALSE(o.product.source_modified_at);
}

TEST(QianmiMapping, UnmappableItemsBecomeDeadLetters) {
    auto dead_of = [](const char* text) {
        auto r = map_item(parse_json_exact(text).value(), kAt);
        EXPECT_TRUE(std::holds_alternative<DeadLetter>(r)) << text;
        return std::holds_alternative<DeadLetter>(r) ? std::get<DeadLetter>(r) : DeadLetter{};
    };
    EXPECT_EQ(dead_of(R"({"title":"x"})").record_key, "");
    DeadLetter price = dead_of(R"({"num_iid":"P1","price":"n/a","d2c_approve_status":"onsale"})");
    EXPECT_EQ(price.record_key, "num_iid=P1");
    EXPECT_NE(price.error.find("price"), std::string::npos);
    EXPECT_NE(dead_of(R"({"num_iid":"P1","price":"1.00"})").error.find("shelf status"),
              std::string::npos);
    EXPECT_NE(dead_of(R"({"num_iid":"P1","d2c_approve_status":"weird"})").error.find("weird"),
              std::string::npos);
    EXPECT_NE(
        dead_of(R"({"num_iid":"P1","num":"1.5","d2c_approve_status":"onsale"})").error.find("num"),
        std::string::npos);
}

TEST(QianmiMapping, ItemGetGivesOneRowPerSku) {
    const json body = parse_json_exact(R"({"item":{"num_iid":"P9","title":"T恤","price":"20.00",
        "cid":"7","modified":"2024-01-02 03:04:05","d2c_approve_status":"onsale",
        "skus":{"sku":[
          {"sku_id":"g1","num_iid":"P9","outer_id":"M-1","barcode":"690001","price":"19.90",
           "quantity":3,"properties_name":"颜色:红","status":"normal",
           "modified":"2024-01-02 03:05:05"},
          {"sku_id":"g2","outer_id":"","barcode":"690002","quantity":"0","status":"delete"},
          {"outer_id":"lost"},
          {"sku_id":"g4","price":"x"}]}}})")
                          .value();
    auto item = read_item(body).value();
    ASSERT_TRUE(item);
    auto rows = map_item_skus(*item, std::nullopt);
    ASSERT_EQ(rows.size(), 4u);
    const auto& a = std::get<MappedProduct>(rows[0]).product;
    EXPECT_EQ(a.external_id, "g1");
    EXPECT_EQ(a.parent_external_id, "P9");
    EXPECT_EQ(a.sku, "M-1");
    EXPECT_EQ(a.barcode, "690001");
    EXPECT_EQ(a.price->text(), "19.9");
    EXPECT_EQ(a.stock, 3);
    EXPECT_EQ(a.title, "T恤 颜色:红");
    EXPECT_EQ(a.status, ProductStatus::active);
    EXPECT_EQ(a.source_modified_at, kAt + std::chrono::seconds{60});
    const auto& b = std::get<MappedProduct>(rows[1]);
    EXPECT_EQ(b.product.sku, "g2");
    EXPECT_EQ(b.product.price->text(), "20");  // the item's price
    EXPECT_EQ(b.product.status, ProductStatus::deleted);
    EXPECT_EQ(b.product.source_modified_at, kAt);
    EXPECT_EQ(b.platform_status, "d2c=onsale;d2p=;sku=delete");
    EXPECT_EQ(std::get<DeadLetter>(rows[2]).record_key, "num_iid=P9");
    EXPECT_EQ(std::get<DeadLetter>(rows[3]).record_key, "sku_id=g4");

    EXPECT_FALSE(read_item(parse_json_exact(R"({})").value()).value());
    json bare = (*item);
    bare.erase("skus");
    EXPECT_TRUE(map_item_skus(bare, kAt).empty());
}

TEST(QianmiRawCall, FormParametersAFixedClockAndNoBody) {
    RawCall call;
    call.method = std::string(kItemsListGet);
    call.params = {{"fields", "num_iid,title,price"}, {"num_iids", "P1555,P12131"}};
    call.at_unix = 1'704'135'845;
    auto r = build_raw_call("https://api.qianmi.com/api", kApp, "tok123", call,
                            UtcTime{std::chrono::seconds{0}})
                 .value();
    EXPECT_NE(r.url.find("sign=95127CE78386DB5E664084818319B68A18A99F5E"), std::string::npos);
    call.body = "{}";
    EXPECT_EQ(build_raw_call("https://api.qianmi.com/api", kApp, "t", call, kAt).error().kind,
              ErrorKind::config);
    EXPECT_TRUE(read_raw_response(answer(R"({"items_list_get_response":{}})"), kItemsListGet).ok());
    EXPECT_EQ(
        read_raw_response(answer(R"({"errorToken":"x","code":"25","message":"m"})"), kItemsListGet)
            .error()
            .kind,
        ErrorKind::auth);
}

TEST(QianmiSpec, DeclaresTheItemsStreamAndItsOptions) {
    const PlatformSpec& s = platform_spec();
    EXPECT_EQ(s.name, "qianmi");
    EXPECT_EQ(s.default_base_url, "https://api.qianmi.com/api");
    EXPECT_EQ(s.default_timezone, "Asia/Shanghai");
    EXPECT_EQ(s.required_credentials,
              (std::vector<std::string>{"app_key", "app_secret", "access_token", "refresh_token"}));
    ASSERT_EQ(s.account_options.size(), 1u);
    EXPECT_EQ(s.account_options[0].default_value, "http://oauth.qianmi.com/token");
    const StreamSpec* items = s.find_stream("items");
    ASSERT_NE(items, nullptr);
    EXPECT_EQ(items->max_page_size, 50);
    EXPECT_EQ(items->options.size(), 3u);
}

}  // namespace
}  // namespace csync::qianmi
