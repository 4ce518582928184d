// Sunsky's wire details apart from the signature: time format, URLs, the request, the envelope
// and the typing of every kind of failure.
#include <gtest/gtest.h>

#include "sunsky/protocol.hpp"

namespace csync::sunsky {
namespace {

using namespace std::chrono;

// 2023-11-14T22:13:20Z: 20 s into a minute.
const system_clock::time_point kNow{seconds{1'700'000'000}};

HttpResponse ok_body(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

TEST(SunskyTime, ParsesThePlatformFormatsAndFormatsWithSeconds) {
    auto t = parse_time("10/31/2013 01:23:20");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_time(*t), "10/31/2013 01:23:20");
    EXPECT_EQ(format_time(*parse_time("01/31/2013 00:00")), "01/31/2013 00:00:00");
    EXPECT_EQ(format_time(*parse_time("02/29/2024")), "02/29/2024 00:00:00");
    EXPECT_EQ(*parse_time("09/23/2023 02:01:02") - *parse_time("09/22/2023 23:59:59"),
              seconds{7263});
    for (const char* bad : {"", "2013-10-31 01:23:20", "13/01/2013 00:00:00", "02/30/2023 00:00:00",
                            "1/31/2013 00:00:00", "10/31/2013 24:00:00", "10/31/2013 01:23:2x",
                            "10/31/2013T01:23:20"}) {
        EXPECT_FALSE(parse_time(bad)) << bad;
    }
}

TEST(SunskyRequest, MethodNamesMapToStrutsUrls) {
    EXPECT_EQ(method_url("https://open.sunsky-online.com", "product!search"),
              "https://open.sunsky-online.com/openapi/product!search.do");
    EXPECT_EQ(method_url("http://h:9/", "product!search.do"),
              "http://h:9/openapi/product!search.do");
    EXPECT_EQ(method_url("http://h", "/openapi/category!getChildren.do"),
              "http://h/openapi/category!getChildren.do");
}

TEST(SunskyRequest, SignedFormPostWithoutTheSecretAndWithoutBlankValues) {
    auto r = build_request("http://127.0.0.1:9", "product!search",
                           {{"page", "1"},
                            {"lang", ""},
                            {"brandName", "  "},
                            {"pageSize", "100"},
                            {"gmtModifiedStart", "10/31/2013 01:23:20"}},
                           {"test_key", "test_secret"}, "sun");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->method, "POST");
    EXPECT_EQ(r->url, "http://127.0.0.1:9/openapi/product!search.do");
    EXPECT_EQ(r->header("content-type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(r->connection_key, "sun");
    EXPECT_EQ(r->body,
              "key=test_key&page=1&pageSize=100&gmtModifiedStart=10%2F31%2F2013+01%3A23%3A20"
              "&signature=855f85e48f92ec30dd2f21f89559072a");
    EXPECT_EQ(r->body.find("test_secret"), std::string::npos);
}

TEST(SunskyRequest, KeyOrSignatureAsParametersAndMissingCredentialsAreConfigErrors) {
    EXPECT_EQ(build_request("http://h", "a!b", {{"key", "x"}}, {"k", "s"}, "").error().kind,
              ErrorKind::config);
    EXPECT_EQ(build_request("http://h", "a!b", {{"signature", "x"}}, {"k", "s"}, "").error().kind,
              ErrorKind::config);
    EXPECT_EQ(build_request("http://h", "a!b", {}, {"k", ""}, "").error().kind, ErrorKind::config);
}

TEST(SunskyEnvelope, SuccessGivesDataWithExactDecimals) {
    auto r = parse_envelope(
        ok_body(
            R"({"result":"success","data":{"pageCount":1,"total":1,"result":[{"price":550.0000}]}})"),
        kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)["result"][0]["price"], "550.0000");
    auto page = parse_search_page(*r);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->page_count, 1);
    EXPECT_EQ(page->total, 1);
    EXPECT_EQ(page->rows.size(), 1u);
}

TEST(SunskyEnvelope, SignatureRejectionIsAuthAndNamesTheCode) {
    auto r = parse_envelope(
        ok_body(R"({"result":"error","messages":["NO_PERMISSION_DUE_TO_SIGNATURE"]})"), kNow);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::auth);
    EXPECT_NE(r.error().message.find("signature"), std::string::npos);
    EXPECT_NE(r.error().message.find("NO_PERMISSION_DUE_TO_SIGNATURE"), std::string::npos);
}

TEST(SunskyEnvelope, UserStatusIsAuthAsJsonAndAsPlainText) {
    auto json_r = parse_envelope(
        ok_body(R"({"result":"error","messages":["NO_PERMISSION_DUE_TO_USER_STATUS"]})"), kNow);
    EXPECT_EQ(json_r.error().kind, ErrorKind::auth);
    EXPECT_NE(json_r.error().message.find("NO_PERMISSION_DUE_TO_USER_STATUS"), std::string::npos);
    auto text_r = parse_envelope(ok_body("NO_PERMISSION_DUE_TO_USER_STATUS\n"), kNow);
    EXPECT_EQ(text_r.error().kind, ErrorKind::auth);
}

TEST(SunskyEnvelope, CallLimitIsRateLimitedUntilTheNextMinute) {
    auto r = parse_envelope(
        ok_body(R"({"result":"error","messages":["UP_TO_API_CALL_LIMIT_IN_MINUTE"]})"), kNow);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::rate_limited);
    ASSERT_TRUE(r.error().retry_after);
    // 20 s into the minute: 40 s to the boundary plus a 1 s margin.
    EXPECT_EQ(*r.error().retry_after, milliseconds{41'000});
    EXPECT_EQ(wait_for_next_minute(kNow - seconds{20} + milliseconds{59'999}), milliseconds{1'001});
    EXPECT_EQ(wait_for_next_minute(kNow - seconds{20}), milliseconds{61'000});
    EXPECT_EQ(parse_envelope(ok_body("UP_TO_IMAGE_DOWNLOAD_LIMIT"), kNow).error().kind,
              ErrorKind::rate_limited);
}

TEST(SunskyEnvelope, HttpStatusesAreTyped) {
    EXPECT_EQ(parse_envelope(ok_body("oops", 500), kNow).error().kind, ErrorKind::transient);
    EXPECT_EQ(parse_envelope(ok_body("", 503), kNow).error().kind, ErrorKind::transient);
    auto limited = parse_envelope(ok_body("", 429), kNow);
    EXPECT_EQ(limited.error().kind, ErrorKind::rate_limited);
    EXPECT_TRUE(limited.error().retry_after);
    EXPECT_EQ(parse_envelope(ok_body("denied", 403), kNow).error().kind, ErrorKind::auth);
    EXPECT_EQ(parse_envelope(ok_body("<html>", 404), kNow).error().kind, ErrorKind::config);
    EXPECT_EQ(parse_envelope(ok_body("", 302), kNow).error().kind, ErrorKind::bad_response);
}

TEST(SunskyEnvelope, GarbageTruncatedAndOddShapesAreBadResponses) {
    for (const char* body :
         {"<html>502 Bad Gateway</html>", "", R"({"result":"success","data":{"pageCount":3,"res)",
          "[1,2,3]", R"({"data":[]})", R"({"result":"success"})", R"({"result":"maybe","data":1})",
          R"({"result":"error","messages":["Something unusual happened"]})"}) {
        auto r = parse_envelope(ok_body(body), kNow);
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(r.error().kind, ErrorKind::bad_response) << body;
    }
}

TEST(SunskyEnvelope, MissingRecordIsAConfigError) {
    auto r = parse_envelope(
        ok_body(R"({"result":"error","messages":["The record you visiting does NOT exist."]})"),
        kNow);
    EXPECT_EQ(r.error().kind, ErrorKind::config);
}

TEST(SunskySearchPage, UnexpectedPageObjectsAreBadResponses) {
    using nlohmann::json;
    EXPECT_EQ(parse_search_page(json::array()).error().kind, ErrorKind::bad_response);
    EXPECT_EQ(parse_search_page(json{{"pageCount", 1}}).error().kind, ErrorKind::bad_response);
    EXPECT_EQ(parse_search_page(json{{"result", json::array()}}).error().kind,
              ErrorKind::bad_response);
    EXPECT_EQ(parse_search_page(json{{"pageCount", "x"}, {"result", json::array()}}).error().kind,
              ErrorKind::bad_response);
    auto empty =
        parse_search_page(json{{"pageCount", "0"}, {"total", 0}, {"result", json::array()}});
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->rows.empty());
}

}  // namespace
}  // namespace csync::sunsky
