// The signer against the shared test vectors (shared/platforms/wangdiantong.md section 4), byte
// for byte: the plaintext that is md5'd, the sign, and the request URL. The vectors are read from
// tests/vectors/wangdiantong.md, a verbatim copy of the notes' section; the count is pinned too.
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "core/digest.hpp"
#include "registry.hpp"
#include "tests_support.hpp"
#include "wangdiantong/registration.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {
namespace {

struct Vector {
    std::string id;
    std::int64_t unix_time = 0;
    std::string method;
    std::string body;
    std::string sign;
    std::string plaintext;
    std::string url;
};

std::vector<std::string> backticked(const std::string& text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while ((pos = text.find('`', pos)) != std::string::npos) {
        auto end = text.find('`', pos + 1);
        if (end == std::string::npos) break;
        out.push_back(text.substr(pos + 1, end - pos - 1));
        pos = end + 1;
    }
    return out;
}

std::map<std::string, Vector> read_vectors() {
    std::ifstream in(std::string(CSYNC_SOURCE_DIR) + "/tests/vectors/wangdiantong.md");
    EXPECT_TRUE(in) << "cannot read tests/vectors/wangdiantong.md";
    std::map<std::string, Vector> out;
    std::string line;
    std::string last_method;
    enum { none, plaintexts, urls } section = none;
    while (std::getline(in, line)) {
        if (line.rfind("Exact sign plaintexts", 0) == 0) section = plaintexts;
        if (line.rfind("Exact request URLs", 0) == 0) section = urls;
        if (line.rfind("| ", 0) == 0 && line.find("→") != std::string::npos) {
            // | A | 1700000000 → 374652800 | `method` or "same" | pager | `body` ... | `sign` |
            std::vector<std::string> cells;
            std::stringstream ss(line.substr(1));
            std::string cell;
            while (std::getline(ss, cell, '|')) cells.push_back(cell);
            if (cells.size() >= 2 &&
                (cells[1].size() < 2 || !std::isdigit(static_cast<unsigned char>(cells[1][1])))) {
                continue;  // the header row
            }
            if (cells.size() < 6) {
                ADD_FAILURE() << "unexpected vector row: " << line;
                continue;
            }
            Vector v;
            v.id = cells[0].substr(1, cells[0].find(' ', 1) - 1);
            v.unix_time = std::stoll(cells[1].substr(1));
            auto method = backticked(cells[2]);
            v.method = method.empty() ? last_method : method[0];
            last_method = v.method;
            v.body = backticked(cells[4]).at(0);
            v.sign = backticked(cells[5]).at(0);
            out[v.id] = v;
        } else if (section != none && line.rfind("- ", 0) == 0) {
            auto colon = line.find(':');
            std::string id = line.substr(2, colon - 2);
            auto ticks = backticked(line);
            if (ticks.empty() || !out.count(id)) continue;
            if (section == plaintexts) out[id].plaintext = ticks[0];
            if (section == urls && ticks[0].rfind("http", 0) == 0) out[id].url = ticks[0];
        }
    }
    return out;
}

Credentials creds_for(const std::string& id) {
    std::map<std::string, std::string> m =
        id == "D"
            ? std::map<std::string, std::string>{{"sid", "mysid01"},
                                                 {"key", "mykey"},
                                                 {"appsecret", "S3cr3t:salt:with:colons"}}
            : std::map<std::string, std::string>{
                  {"sid", "wdtapi3"}, {"key", "appkey"}, {"appsecret", "testsecret:testsalt"}};
    return credentials_from(m).value();
}

std::string query_of(const std::string& url) { return url.substr(url.find('?') + 1); }

TEST(WangdiantongSigner, SharedVectorsReproduceByteForByte) {
    auto vectors = read_vectors();
    ASSERT_EQ(vectors.size(), 4u) << "the notes carry vectors A, A2, B and D";
    for (const auto& [id, v] : vectors) {
        SCOPED_TRACE("vector " + id);
        const Credentials c = creds_for(id);
        auto params = public_params(c, v.method, v.unix_time);
        ASSERT_FALSE(v.plaintext.empty());
        EXPECT_EQ(sign_plaintext(c.secret, params, v.body), v.plaintext);
        EXPECT_EQ(sign(c.secret, params, v.body), v.sign);
        EXPECT_EQ(md5_hex(v.plaintext), v.sign);

        HttpRequest req = build_request("http://wdt.wangdian.cn", c, v.method, v.body, v.unix_time);
        EXPECT_EQ(req.method, "POST");
        EXPECT_EQ(req.body, v.body);
        EXPECT_EQ(req.header("Content-Type"), "application/json");
        if (!v.url.empty()) {
            EXPECT_EQ(req.url, v.url);
        } else {
            // A2 and B: "same as A but sign=..."
            EXPECT_EQ(query_of(req.url),
                      query_of(vectors.at("A").url)
                              .substr(0, query_of(vectors.at("A").url).find("&sign=")) +
                          "&sign=" + v.sign);
        }
    }
}

TEST(WangdiantongSigner, TimestampCountsFromTheBeijing2012Epoch) {
    EXPECT_EQ(to_wdt_timestamp(1700000000), 374652800);
    EXPECT_EQ(to_wdt_timestamp(1700000123), 374652923);
    EXPECT_EQ(to_wdt_timestamp(1325347200), 0);
}

TEST(WangdiantongSigner, AppsecretSplitsAtTheFirstColonOnly) {
    auto s = split_appsecret("S3cr3t:salt:with:colons");
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->first, "S3cr3t");
    EXPECT_EQ(s->second, "salt:with:colons");

    auto none = split_appsecret("nocolonhere");
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().kind, ErrorKind::config);
    EXPECT_EQ(none.error().message.find("nocolonhere"), std::string::npos) << "value leaked";
    EXPECT_FALSE(split_appsecret(":salt").ok());
    EXPECT_FALSE(split_appsecret("secret:").ok());
}

TEST(WangdiantongSigner, ColonSaltIsEncodedInTheQueryAndRawInTheSign) {
    const Credentials c = creds_for("D");
    HttpRequest req = build_request("http://h/", c, "m.X.y", "[10,0]", 1700000123);
    EXPECT_NE(req.url.find("salt=salt%3Awith%3Acolons&"), std::string::npos) << req.url;
    EXPECT_EQ(req.url.rfind("http://h/openapi?", 0), 0u) << req.url;
    auto plain = sign_plaintext(c.secret, public_params(c, "m.X.y", 1700000123), "[10,0]");
    EXPECT_NE(plain.find("saltsalt:with:colons"), std::string::npos);
    EXPECT_NE(req.url.find("&sign=" + md5_hex(plain)), std::string::npos);
}

TEST(WangdiantongSigner, ChineseBodyIsSignedOverTheExactUtf8BytesSent) {
    const Credentials c = creds_for("A");
    const std::string body =
        R"([123,{"syn_result":"库存同步成功","stock_syn_rule_no":"默认策略"}])";
    HttpRequest req =
        build_request("http://wdt.wangdian.cn", c, std::string(kSyncSuccess), body, 1700000000);
    EXPECT_EQ(req.body, body);  // raw UTF-8, no \u escapes, byte for byte
    const std::string expected_plain =
        "testsecretbody" + body +
        "keyappkeymethodsales.StockSync.syncSuccesssalttestsaltsidwdtapi3timestamp374652800v1."
        "0testsecret";
    EXPECT_EQ(sign_plaintext(c.secret, public_params(c, kSyncSuccess, 1700000000), body),
              expected_plain);
    EXPECT_NE(req.url.find("&sign=" + md5_hex(expected_plain)), std::string::npos);
    // The \u-escaped form of the same JSON is different bytes, hence a different sign.
    EXPECT_NE(sign(c.secret, public_params(c, kSyncSuccess, 1700000000),
                   R"([123,{"syn_result":"\u5e93\u5b58\u540c\u6b65\u6210\u529f"}])"),
              md5_hex(expected_plain));
}

TEST(WangdiantongSigner, PagerParamsEnterTheSortWithPageNoBeforePageSize) {
    const Credentials c = creds_for("A");
    auto params = public_params(c, "wms.StockSpec.search", 1700000000);
    params["page_size"] = "100";
    params["page_no"] = "0";
    params["calc_total"] = "1";
    EXPECT_EQ(sign_plaintext(c.secret, params, "[]"),
              "testsecretbody[]calc_total1keyappkeymethodwms.StockSpec.searchpage_no0page_size100"
              "salttestsaltsidwdtapi3timestamp374652800v1.0testsecret");
}

TEST(WangdiantongSigner, EndpointAppendsOpenapiOnce) {
    EXPECT_EQ(endpoint_url("http://wdt.wangdian.cn"), "http://wdt.wangdian.cn/openapi");
    EXPECT_EQ(endpoint_url("http://wdt.wangdian.cn/"), "http://wdt.wangdian.cn/openapi");
    EXPECT_EQ(endpoint_url("http://47.92.239.46/openapi"), "http://47.92.239.46/openapi");
}

TEST(WangdiantongSigner, ConnectionKeyKeepsSidsApart) {
    HttpRequest a = build_request("http://h", creds_for("A"), "m", "[]", 1700000000);
    HttpRequest d = build_request("http://h", creds_for("D"), "m", "[]", 1700000000);
    EXPECT_FALSE(a.connection_key.empty());
    EXPECT_NE(a.connection_key, d.connection_key);
    EXPECT_NE(a.connection_key.find("wdtapi3"), std::string::npos);
}

TEST(WangdiantongRawCall, ReproducesVectorAAndMasksEveryCredential) {
    testing::AdapterRig rig("http://wdt.wangdian.cn", "testsecret:testsalt", "wdtapi3", "appkey");
    RawCall call;
    call.method = std::string(kWaitList);
    call.body = "[500,0]";
    call.at_unix = 1700000000;
    auto req = rig.adapter->build_raw_call(call);
    ASSERT_TRUE(req.ok()) << req.error().message;
    EXPECT_EQ(req->url,
              "http://wdt.wangdian.cn/openapi?key=appkey&method=sales.StockSync."
              "getSelfWaitSyncIdListOpen&salt=testsalt&sid=wdtapi3&timestamp=374652800&v=1.0&"
              "sign=c3476992620d3fb58e1e6c002c17b496");
    EXPECT_EQ(req->body, "[500,0]");

    auto secrets = rig.adapter->secret_values();
    for (const char* s : {"testsecret:testsalt", "testsecret", "testsalt", "appkey"}) {
        EXPECT_NE(std::find(secrets.begin(), secrets.end(), s), secrets.end()) << s;
    }
}

TEST(WangdiantongRawCall, PagerParamsGoToTheQueryAndOthersAreRefused) {
    testing::AdapterRig rig("http://wdt.wangdian.cn", "testsecret:testsalt", "wdtapi3", "appkey");
    RawCall call;
    call.method = "wms.StockSpec.search";
    call.params = {{"page_size", "100"}, {"page_no", "0"}, {"calc_total", "1"}};
    call.at_unix = 1700000000;
    auto req = rig.adapter->build_raw_call(call);
    ASSERT_TRUE(req.ok());
    EXPECT_EQ(req->body, "[]");
    EXPECT_NE(req->url.find("calc_total=1&key=appkey"), std::string::npos) << req->url;
    EXPECT_NE(req->url.find("page_no=0&page_size=100&salt="), std::string::npos) << req->url;
    auto params = public_params(creds_for("A"), "wms.StockSpec.search", 1700000000);
    params.insert({{"page_size", "100"}, {"page_no", "0"}, {"calc_total", "1"}});
    EXPECT_NE(req->url.find("&sign=" + sign("testsecret", params, "[]")), std::string::npos);

    call.params = {{"shop_no", "x"}};
    auto refused = rig.adapter->build_raw_call(call);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::config);
}

TEST(WangdiantongRawCall, RawResponseIsTypedFromTheEnvelopeStatus) {
    testing::AdapterRig rig("http://h", "testsecret:testsalt", "sid", "key");
    auto answer = [](std::string body) {
        HttpResponse r;
        r.status = 200;
        r.body = std::move(body);
        return r;
    };
    EXPECT_TRUE(rig.adapter->read_raw_response(answer(R"({"status":0,"data":{}})")).ok());
    auto sign = rig.adapter->read_raw_response(answer(R"({"status":1,"message":"验证失败"})"));
    ASSERT_FALSE(sign.ok());
    EXPECT_EQ(sign.error().kind, ErrorKind::auth);
    auto limit = rig.adapter->read_raw_response(
        answer(R"({"status":100,"message":"超过每分钟最大调用频率限制，请稍后重试"})"));
    ASSERT_FALSE(limit.ok());
    EXPECT_EQ(limit.error().kind, ErrorKind::rate_limited);
    auto garbage = rig.adapter->read_raw_response(answer("<html>"));
    ASSERT_FALSE(garbage.ok());
    EXPECT_EQ(garbage.error().kind, ErrorKind::bad_response);
}

TEST(WangdiantongRawCall, AppsecretWithoutColonIsAConfigError) {
    testing::AdapterRig rig("http://h", "justasecret", "sid", "key");
    RawCall call;
    call.method = std::string(kWaitList);
    auto req = rig.adapter->build_raw_call(call);
    ASSERT_FALSE(req.ok());
    EXPECT_EQ(req.error().kind, ErrorKind::config);
    EXPECT_EQ(req.error().message.find("justasecret"), std::string::npos);
}

// `dead-letters retry`: a stock figure is never replayed from a stored letter.
TEST(WangdiantongRemap, StockLettersAreNotRemappedAndSayWhatBringsThemBack) {
    testing::AdapterRig rig("http://h", "testsecret:testsalt", "sid", "key");
    auto refused = rig.adapter->remap_dead_letter(
        "stock", R"({"rec_id":7,"syn_stock":"oops","stock_change_count":3})");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::config);
    EXPECT_NE(refused.error().message.find("only valid as the ERP has just calculated it"),
              std::string::npos)
        << refused.error().message;
    EXPECT_NE(refused.error().message.find("when the ERP lists it again"), std::string::npos);
}

}  // namespace
}  // namespace csync::wangdiantong
