// Form/percent encoding as query strings and form bodies use it, header lookup, error text.

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "csync/domain/records.hpp"
#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"
#include "csync/ports/http_server.hpp"

namespace csync {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(FormEncode, UnreservedCharactersPassThrough) {
    EXPECT_EQ(form_encode("AZaz09._-~"), "AZaz09._-~");
    EXPECT_EQ(form_encode(""), "");
}

TEST(FormEncode, SpaceBecomesPlusAndReservedArePercentEncodedUppercase) {
    EXPECT_EQ(form_encode("a b"), "a+b");
    EXPECT_EQ(form_encode("a+b"), "a%2Bb");
    EXPECT_EQ(form_encode("a&b=c"), "a%26b%3Dc");
    EXPECT_EQ(form_encode("/?#%"), "%2F%3F%23%25");
    EXPECT_EQ(form_encode("{\"k\":1}"), "%7B%22k%22%3A1%7D");
    EXPECT_EQ(form_encode(std::string_view("\0\n", 2)), "%00%0A");
}

TEST(FormEncode, Utf8IsEncodedBytewise) {
    EXPECT_EQ(form_encode("中"), "%E4%B8%AD");
    EXPECT_EQ(form_encode("café"), "caf%C3%A9");
}

TEST(FormDecode, InvertsEncoding) {
    EXPECT_EQ(form_decode("a+b%20c"), "a b c");
    EXPECT_EQ(form_decode("%E4%B8%AD"), "中");
    EXPECT_EQ(form_decode("%e4%b8%ad"), "中") << "lowercase hex";
    EXPECT_EQ(form_decode("a%2Bb"), "a+b");
}

TEST(FormDecode, KeepsStrayPercentSigns) {
    EXPECT_EQ(form_decode("100%"), "100%");
    EXPECT_EQ(form_decode("100%4"), "100%4");
    EXPECT_EQ(form_decode("%zz%4g"), "%zz%4g");
    EXPECT_EQ(form_decode("%%41"), "%A");
}

TEST(FormEncode, RoundTripsEveryByte) {
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    std::string encoded = form_encode(all);
    for (char c : encoded) {
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) ||
                    std::string_view("._-~+%").find(c) != std::string_view::npos)
            << "unsafe char " << int(static_cast<unsigned char>(c)) << " in the encoding";
    }
    EXPECT_EQ(form_decode(encoded), all);
}

TEST(BuildForm, JoinsEncodedPairsInOrder) {
    EXPECT_EQ(build_form({}), "");
    EXPECT_EQ(build_form({{"k", "a b"}, {"sign", "x"}}), "k=a+b&sign=x");
    EXPECT_EQ(build_form({{"b", "2"}, {"a", "1"}, {"b", "3"}}), "b=2&a=1&b=3")
        << "order and duplicates are kept: signatures depend on them";
    EXPECT_EQ(build_form({{"q", "x=y&z"}, {"empty", ""}}), "q=x%3Dy%26z&empty=");
}

TEST(ParseForm, DecodesPairsKeepingOrderAndDuplicates) {
    EXPECT_EQ(parse_form("a=1&b=&c&&d=x%3Dy&a=2"),
              (Params{{"a", "1"}, {"b", ""}, {"c", ""}, {"d", "x=y"}, {"a", "2"}}));
    EXPECT_EQ(parse_form(""), Params{});
    EXPECT_EQ(parse_form("&&"), Params{});
    EXPECT_EQ(parse_form("=v"), (Params{{"", "v"}}));
    EXPECT_EQ(parse_form("k=a=b"), (Params{{"k", "a=b"}})) << "split at the first '='";
    EXPECT_EQ(parse_form("na%20me=J+Doe"), (Params{{"na me", "J Doe"}}));
}

TEST(ParseForm, RoundTripsBuildForm) {
    Params p{{"method", "product!search"},
             {"text", "中文 & more"},
             {"empty", ""},
             {"sym", "+/=?%"},
             {"method", "again"}};
    EXPECT_EQ(parse_form(build_form(p)), p);
}

TEST(Headers, LookupIsCaseInsensitiveAndEmptyWhenAbsent) {
    HttpRequest req;
    req.headers = {{"Content-Type", "application/json"}, {"X-Trace", "1"}};
    EXPECT_EQ(req.header("content-type"), "application/json");
    EXPECT_EQ(req.header("X-TRACE"), "1");
    EXPECT_EQ(req.header("Missing"), "");

    HttpResponse resp;
    resp.headers = {{"retry-after", "30"}};
    EXPECT_EQ(resp.header("Retry-After"), "30");
    EXPECT_EQ(resp.header("Retry-Afte"), "");

    ServerRequest sreq;
    sreq.headers = {{"Host", "localhost"}};
    sreq.query = {{"key", "a"}, {"Sign", "b"}, {"key", "second"}};
    EXPECT_EQ(sreq.header("HOST"), "localhost");
    EXPECT_EQ(sreq.query_param("key"), "a") << "the first one wins";
    EXPECT_EQ(sreq.query_param("sign"), "") << "query names are case-sensitive";
    EXPECT_EQ(sreq.query_param("missing"), "");
}

TEST(ErrorText, DescribeNamesTheKind) {
    EXPECT_EQ(Error::auth("signature rejected").describe(), "auth: signature rejected");
    EXPECT_EQ(Error::cancelled().describe(), "cancelled: cancelled");
    EXPECT_EQ(to_string(ErrorKind::rate_limited), "rate_limited");
    EXPECT_EQ(to_string(ErrorKind::bad_response), "bad_response");
    EXPECT_EQ(to_string(ErrorKind::storage), "storage");
    auto rl = Error::rate_limited("slow down", std::chrono::milliseconds(1500));
    EXPECT_EQ(rl.kind, ErrorKind::rate_limited);
    EXPECT_EQ(rl.retry_after, std::chrono::milliseconds(1500));
}

TEST(RecordEnums, ToStringMatchesTheStoredValues) {
    EXPECT_EQ(to_string(ProductStatus::out_of_stock), "out_of_stock");
    EXPECT_EQ(to_string(ProductStatus::deleted), "deleted");
    EXPECT_EQ(to_string(OrderStatus::shipped), "shipped");
    EXPECT_EQ(to_string(OrderStatus::unknown), "unknown");
}

}  // namespace
}  // namespace csync
