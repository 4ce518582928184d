// The response envelope and the status table of the notes (section 2.6): every failure typed.
#include <gtest/gtest.h>

#include "wangdiantong/stock_stream.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {
namespace {

HttpResponse ok_body(std::string body, int http = 200) {
    HttpResponse r;
    r.status = http;
    r.body = std::move(body);
    r.headers = {{"Content-Type", "application/json"}};
    return r;
}

ErrorKind kind_of(const std::string& body, int http = 200) {
    auto r = read_envelope(ok_body(body, http), 1700000000);
    EXPECT_FALSE(r.ok()) << body;
    return r.ok() ? ErrorKind::cancelled : r.error().kind;
}

TEST(WangdiantongEnvelope, StatusZeroReturnsDataWithExactDecimals) {
    auto r = read_envelope(ok_body(R"({"status":0,"data":{"syn_stock":550.0000,"id_list":[1,2]}})"),
                           1700000000);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)["syn_stock"], "550.0000");  // the literal, never a double
    EXPECT_EQ((*r)["id_list"].size(), 2u);

    auto bare = read_envelope(ok_body(R"({"status":0})"), 1700000000);
    ASSERT_TRUE(bare.ok());
    EXPECT_TRUE(bare->is_null());
}

TEST(WangdiantongEnvelope, StatusTableIsTyped) {
    EXPECT_EQ(kind_of(R"({"status":1,"message":"验证失败"})"), ErrorKind::auth);
    EXPECT_EQ(kind_of(R"({"status":1,"message":"app auth fail"})"), ErrorKind::auth);
    EXPECT_EQ(kind_of(R"({"status":1,"message":"sid is not exists"})"), ErrorKind::auth);
    EXPECT_EQ(kind_of(R"({"status":1,"message":"sid is not found"})"), ErrorKind::auth);
    EXPECT_EQ(kind_of(R"({"status":1,"message":"参数错误"})"), ErrorKind::config);
    EXPECT_EQ(kind_of(R"({"status":1,"message":"invalid argument count"})"), ErrorKind::config);
    EXPECT_EQ(kind_of(R"({"status":1,"message":"argument type mismatch"})"), ErrorKind::config);
    EXPECT_EQ(kind_of(R"({"status":1,"message":"For input string: \"1665947116495\""})"),
              ErrorKind::config);
    EXPECT_EQ(kind_of(R"({"status":2,"message":"shop_no"})"), ErrorKind::config);
    EXPECT_EQ(kind_of(R"({"status":3,"message":"需要动态口令"})"), ErrorKind::auth);
    EXPECT_EQ(kind_of(R"({"status":4,"message":"数据库错误"})"), ErrorKind::transient);
    EXPECT_EQ(kind_of(R"({"status":5,"message":"数据库错误"})"), ErrorKind::transient);
    EXPECT_EQ(kind_of(R"({"status":6,"message":"ip限制"})"), ErrorKind::auth);
    EXPECT_EQ(kind_of(R"({"status":7,"message":"时间戳错误"})"), ErrorKind::config);
    EXPECT_EQ(kind_of(R"({"status":8,"message":"版本错误"})"), ErrorKind::config);
    EXPECT_EQ(kind_of(R"({"status":99,"message":"其他错误"})"), ErrorKind::transient);
    EXPECT_EQ(kind_of(R"({"status":1064,"message":" Unknown Database Error"})"),
              ErrorKind::transient);
    EXPECT_EQ(kind_of(R"({"status":100,"message":"应用错误: 权限不足"})"), ErrorKind::config);
    EXPECT_EQ(kind_of(R"({"status":100,"message":"此方法仅支持分页查询"})"), ErrorKind::config);
    EXPECT_EQ(kind_of(R"({"status":"1","message":"验证失败"})"), ErrorKind::auth);
    EXPECT_EQ(kind_of(R"({"status":42})"), ErrorKind::bad_response);
}

TEST(WangdiantongEnvelope, BothRateLimitTextsAreRateLimitedWithAHint) {
    for (std::string_view text : {kRateLimitCalls, kRateLimitConcurrency}) {
        auto r = read_envelope(
            ok_body(R"({"status":100,"message":")" + std::string(text) + R"("})"), 1700000000);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().kind, ErrorKind::rate_limited) << text;
        ASSERT_TRUE(r.error().retry_after.has_value());
        EXPECT_GE(r.error().retry_after->count(), 1000);
    }
}

TEST(WangdiantongEnvelope, GarbageAndTruncatedAnswersAreBadResponses) {
    EXPECT_EQ(kind_of("<html>502 Bad Gateway</html>"), ErrorKind::bad_response);
    EXPECT_EQ(kind_of(R"({"status":0,"data":{"id_li)"), ErrorKind::bad_response);
    EXPECT_EQ(kind_of(""), ErrorKind::bad_response);
    EXPECT_EQ(kind_of("[1,2]"), ErrorKind::bad_response);
    EXPECT_EQ(kind_of(R"({"data":{}})"), ErrorKind::bad_response);
    EXPECT_EQ(kind_of(R"({"error":"x"})", 500), ErrorKind::transient);
    EXPECT_EQ(kind_of("", 503), ErrorKind::transient);
    EXPECT_EQ(kind_of("", 429), ErrorKind::rate_limited);
    EXPECT_EQ(kind_of("", 404), ErrorKind::config);
}

TEST(WangdiantongEnvelope, ClockSkewReportsTheMeasuredOffsetFromTheDateHeader) {
    HttpResponse r = ok_body(R"({"status":7,"message":"时间戳错误"})");
    r.headers.emplace_back("Date", format_http_date(1700000000 - 400));
    auto e = read_envelope(r, 1700000000);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().kind, ErrorKind::config);
    EXPECT_NE(e.error().message.find("clock skew: the platform's clock differs from ours by 400 s"),
              std::string::npos)
        << e.error().message;
    EXPECT_NE(e.error().message.find("behind"), std::string::npos);

    r.headers.back().second = format_http_date(1700000000 + 250);
    auto ahead = read_envelope(r, 1700000000);
    EXPECT_NE(ahead.error().message.find("by 250 s (it is ahead of ours)"), std::string::npos)
        << ahead.error().message;

    r.headers.pop_back();
    auto unmeasured = read_envelope(r, 1700000000);
    EXPECT_NE(unmeasured.error().message.find("clock skew"), std::string::npos);
}

TEST(WangdiantongEnvelope, HttpDateRoundTrips) {
    EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    EXPECT_EQ(parse_http_date(format_http_date(1760000000)), 1760000000);
    EXPECT_FALSE(parse_http_date("yesterday").has_value());
    EXPECT_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT").has_value());
}

TEST(WangdiantongEnvelope, WaitListParsing) {
    auto w = parse_wait_list(nlohmann::json::parse(
        R"({"id_list":[174004,175511,"175512",174004],"position":239126414})"));
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(w->ids, (std::vector<std::int64_t>{174004, 175511, 175512}));
    EXPECT_EQ(w->listed, 4u);
    EXPECT_EQ(w->position, 239126414);

    auto no_pos = parse_wait_list(nlohmann::json::parse(R"({"id_list":[1]})"));
    ASSERT_TRUE(no_pos.ok());
    EXPECT_FALSE(no_pos->position.has_value());

    EXPECT_FALSE(parse_wait_list(nlohmann::json::parse(R"({"position":1})")).ok());
    EXPECT_FALSE(parse_wait_list(nlohmann::json::parse(R"({"id_list":[{"x":1}]})")).ok());
    EXPECT_FALSE(parse_wait_list(nlohmann::json::parse(R"([1,2])")).ok());
}

TEST(WangdiantongMapping, CalcRecordBecomesAnExactStockLevelInUtc) {
    auto rec = nlohmann::json::parse(R"({"rec_id":175511,"match_code":"SKU-1",
        "syn_stock":"12.3400","stock_change_count":7,"modified":"2025-05-20 08:30:00"})");
    auto l = map_stock_record(rec, TimeZone::from_name("Asia/Shanghai").value());
    ASSERT_TRUE(l.ok()) << l.error().message;
    EXPECT_EQ(l->external_id, "175511");
    EXPECT_EQ(l->sku, "SKU-1");
    EXPECT_EQ(l->quantity.text(), "12.34");
    EXPECT_EQ(l->change_count, 7);
    ASSERT_TRUE(l->source_modified_at.has_value());
    EXPECT_EQ(format_utc_iso(*l->source_modified_at), "2025-05-20T00:30:00Z");
    EXPECT_EQ(l->warehouse, "");

    auto bad = nlohmann::json::parse(R"({"rec_id":1,"syn_stock":"lots","stock_change_count":1})");
    EXPECT_EQ(map_stock_record(bad, TimeZone::utc()).error().kind, ErrorKind::bad_response);
    auto no_count = nlohmann::json::parse(R"({"rec_id":1,"syn_stock":"1"})");
    EXPECT_FALSE(map_stock_record(no_count, TimeZone::utc()).ok());
    auto empty_date = nlohmann::json::parse(
        R"({"rec_id":1,"syn_stock":"1","stock_change_count":1,"modified":""})");
    auto ed = map_stock_record(empty_date, TimeZone::utc());
    ASSERT_TRUE(ed.ok());
    EXPECT_FALSE(ed->source_modified_at.has_value());
}

TEST(WangdiantongMapping, ObjectWriterQuotesTextExactlyAsJsonDoes) {
    // Plain ASCII skips the JSON library; every other text must come out byte for byte as
    // json::dump writes it (the acknowledgement body is signed as sent).
    for (std::string text : {std::string("库存同步成功"), std::string("a\"b\\c"),
                             std::string("tab\tnl\nnul") + '\0' + "x", std::string("del\x7f"),
                             std::string("plain ascii 0-9 {}[]:,"), std::string()}) {
        ObjectWriter w;
        w.str(text, text);
        const std::string quoted = nlohmann::json(text).dump();
        EXPECT_EQ(w.finish(), "{" + quoted + ":" + quoted + "}") << quoted;
    }
}

TEST(WangdiantongMapping, AckInfoCopiesTheCalcRecordWithExactNumbers) {
    auto rec = nlohmann::json::parse(R"({"rec_id":9,"syn_stock":"550.0000",
        "stock_change_count":12,"stock_syn_rule_id":2,"stock_syn_rule_no":"默认策略",
        "stock_syn_warehouses":"1,2","stock_syn_mask":0,"stock_syn_percent":"100.0000",
        "stock_syn_plus":"0.0000","stock_syn_min":"0.0000","stock_syn_max":"0.0000",
        "is_auto_listing":0,"is_auto_delisting":0,"outer_id":"x"})");
    const std::string info = ack_info(rec, true, "库存同步成功");
    EXPECT_EQ(info,
              R"({"syn_stock":550.0000,"stock_change_count":12,"stock_syn_rule_id":2,)"
              R"("stock_syn_rule_no":"默认策略","stock_syn_other":"","stock_syn_warehouses":"1,2",)"
              R"("stock_syn_mask":0,"stock_syn_percent":100.0000,"stock_syn_plus":0.0000,)"
              R"("stock_syn_min":0.0000,"stock_syn_max":0.0000,"is_auto_listing":0,)"
              R"("is_auto_delisting":0,"is_syn_success":1,"is_manual":1,)"
              R"("syn_result":"库存同步成功"})");
    EXPECT_TRUE(nlohmann::json::accept(info));
    auto fail = nlohmann::json::parse(ack_info_without_record("已停用"));
    EXPECT_EQ(fail["stock_change_count"], -1);
    EXPECT_EQ(fail["is_syn_success"], 0);
}

}  // namespace
}  // namespace csync::wangdiantong
