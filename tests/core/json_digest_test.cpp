// Exact JSON parsing (decimals never pass through a double), the lenient scalar accessors, MD5
// and the records' content hash.

#include <cctype>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/json_util.hpp"

namespace csync {
namespace {

using nlohmann::json;

json parse_ok(std::string_view text) {
    auto r = parse_json_exact(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().describe());
    return r.ok() ? *r : json();
}

TEST(ParseJsonExact, KeepsNonIntegerNumbersAsTheirLiteralText) {
    json v = parse_ok(R"({"price": 550.0000, "small": 0.1, "neg": -2.50, "exp": 1.5e3})");
    ASSERT_TRUE(v["price"].is_string());
    EXPECT_EQ(v["price"].get<std::string>(), "550.0000");
    EXPECT_EQ(v["small"].get<std::string>(), "0.1");
    EXPECT_EQ(v["neg"].get<std::string>(), "-2.50");
    EXPECT_EQ(v["exp"].get<std::string>(), "1.5e3");
}

TEST(ParseJsonExact, IntegersStayNumbers) {
    json v = parse_ok(R"({"qty": 12, "neg": -3, "zero": 0, "big": 18446744073709551615})");
    EXPECT_TRUE(v["qty"].is_number_integer());
    EXPECT_EQ(v["qty"].get<std::int64_t>(), 12);
    EXPECT_EQ(v["neg"].get<std::int64_t>(), -3);
    EXPECT_EQ(v["zero"].get<std::int64_t>(), 0);
    EXPECT_TRUE(v["big"].is_number_unsigned());
    EXPECT_EQ(v["big"].get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
}

TEST(ParseJsonExact, NestedValuesKeepTheirStructure) {
    json v = parse_ok(R"({"list": [1.50, {"amount": 2.6600, "ok": true, "n": null}], "s": "x"})");
    ASSERT_TRUE(v["list"].is_array());
    EXPECT_EQ(v["list"][0].get<std::string>(), "1.50");
    EXPECT_EQ(v["list"][1]["amount"].get<std::string>(), "2.6600");
    EXPECT_EQ(v["list"][1]["ok"].get<bool>(), true);
    EXPECT_TRUE(v["list"][1]["n"].is_null());
    EXPECT_EQ(v["s"].get<std::string>(), "x");
    // Strings that look like numbers are untouched.
    EXPECT_EQ(parse_ok(R"(["550.0000"])")[0].get<std::string>(), "550.0000");
}

TEST(ParseJsonExact, GarbageIsBadResponseWithTheOffset) {
    auto r = parse_json_exact("[1,2,x]");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::bad_response);
    EXPECT_NE(r.error().message.find("invalid JSON at byte 6 of 7"), std::string::npos)
        << r.error().message;
    // The start of the body is quoted to help whoever reads the log.
    EXPECT_NE(r.error().message.find("[1,2,x]"), std::string::npos) << r.error().message;

    for (const char* bad : {"", "{", "{\"a\": 1,", "<html>502 Bad Gateway</html>", "{} trailing",
                            "{\"a\": 01}", "[1.]", "nul"}) {
        auto e = parse_json_exact(bad);
        ASSERT_FALSE(e.ok()) << "accepted '" << bad << "'";
        EXPECT_EQ(e.error().kind, ErrorKind::bad_response) << bad;
        EXPECT_NE(e.error().message.find("invalid JSON at byte"), std::string::npos)
            << e.error().message;
    }
}

TEST(ParseJsonExact, QuotesOnlyTheStartOfAHugeBody) {
    std::string body = "<html>" + std::string(10'000, 'x');
    auto r = parse_json_exact(body);
    ASSERT_FALSE(r.ok());
    EXPECT_LT(r.error().message.size(), 500u) << "the whole body landed in the error";
}

TEST(JsonText, ScalarsAsText) {
    json v = parse_ok(R"({"s": "abc", "i": 42, "neg": -7, "d": 2.6600, "b": true, "f": false,
                          "n": null, "o": {}, "a": []})");
    EXPECT_EQ(json_text(v, "s"), "abc");
    EXPECT_EQ(json_text(v, "i"), "42");
    EXPECT_EQ(json_text(v, "neg"), "-7");
    EXPECT_EQ(json_text(v, "d"), "2.6600");
    EXPECT_EQ(json_text(v, "b"), "true");
    EXPECT_EQ(json_text(v, "f"), "false");
    EXPECT_EQ(json_text(v, "n"), std::nullopt);
    EXPECT_EQ(json_text(v, "missing"), std::nullopt);
    EXPECT_EQ(json_text(v, "o"), std::nullopt);
    EXPECT_EQ(json_text(v, "a"), std::nullopt);
    EXPECT_EQ(json_text(json::array({1}), "s"), std::nullopt) << "not an object";
    EXPECT_EQ(json_scalar_text(json(5)), "5");
}

TEST(JsonInt, AcceptsNumbersAndIntegralText) {
    json v = parse_ok(R"({"n": 12, "neg": -4, "s": "12", "dec": 12.0000, "sdec": "-3.000",
                          "t": true, "f": false, "frac": 12.5, "sfrac": "12.5", "empty": "",
                          "word": "abc", "null": null, "huge": "99999999999999999999",
                          "uhuge": 18446744073709551615, "exp": 1e3})");
    EXPECT_EQ(json_int(v, "n"), 12);
    EXPECT_EQ(json_int(v, "neg"), -4);
    EXPECT_EQ(json_int(v, "s"), 12);
    EXPECT_EQ(json_int(v, "dec"), 12) << "a Decimal(19,4) integer";
    EXPECT_EQ(json_int(v, "sdec"), -3);
    EXPECT_EQ(json_int(v, "t"), 1);
    EXPECT_EQ(json_int(v, "f"), 0);
    EXPECT_EQ(json_int(v, "frac"), std::nullopt);
    EXPECT_EQ(json_int(v, "sfrac"), std::nullopt);
    EXPECT_EQ(json_int(v, "empty"), std::nullopt);
    EXPECT_EQ(json_int(v, "word"), std::nullopt);
    EXPECT_EQ(json_int(v, "null"), std::nullopt);
    EXPECT_EQ(json_int(v, "missing"), std::nullopt);
    EXPECT_EQ(json_int(v, "huge"), std::nullopt) << "out of int64 range";
    EXPECT_EQ(json_int(v, "uhuge"), std::nullopt) << "out of int64 range, must not wrap";
    EXPECT_EQ(json_int(v, "exp"), std::nullopt);
}

TEST(JsonDecimal, AcceptsNumbersAndDecimalText) {
    json v = parse_ok(R"({"d": 550.0000, "s": "2.6600", "i": 7, "neg": -0.50, "b": true,
                          "word": "n/a", "empty": "", "null": null, "exp": 1e3, "o": {}})");
    EXPECT_EQ(json_decimal(v, "d")->text(), "550");
    EXPECT_EQ(json_decimal(v, "s")->text(), "2.66");
    EXPECT_EQ(json_decimal(v, "i")->text(), "7");
    EXPECT_EQ(json_decimal(v, "neg")->text(), "-0.5");
    EXPECT_EQ(json_decimal(v, "b"), std::nullopt);
    EXPECT_EQ(json_decimal(v, "word"), std::nullopt);
    EXPECT_EQ(json_decimal(v, "empty"), std::nullopt);
    EXPECT_EQ(json_decimal(v, "null"), std::nullopt);
    EXPECT_EQ(json_decimal(v, "missing"), std::nullopt);
    EXPECT_EQ(json_decimal(v, "exp"), std::nullopt) << "exponents are not plain decimals";
    EXPECT_EQ(json_decimal(v, "o"), std::nullopt);
}

TEST(JsonBool, AcceptsBooleansNumbersAndText) {
    json v = parse_ok(R"({"t": true, "f": false, "one": 1, "zero": 0, "two": 2, "st": "true",
                          "sf": "false", "s1": "1", "s0": "0", "empty": "", "yes": "yes",
                          "null": null, "d": 1.0})");
    EXPECT_EQ(json_bool(v, "t"), true);
    EXPECT_EQ(json_bool(v, "f"), false);
    EXPECT_EQ(json_bool(v, "one"), true);
    EXPECT_EQ(json_bool(v, "zero"), false);
    EXPECT_EQ(json_bool(v, "two"), true);
    EXPECT_EQ(json_bool(v, "st"), true);
    EXPECT_EQ(json_bool(v, "sf"), false);
    EXPECT_EQ(json_bool(v, "s1"), true);
    EXPECT_EQ(json_bool(v, "s0"), false);
    EXPECT_EQ(json_bool(v, "empty"), false);
    EXPECT_EQ(json_bool(v, "yes"), std::nullopt);
    EXPECT_EQ(json_bool(v, "null"), std::nullopt);
    EXPECT_EQ(json_bool(v, "missing"), std::nullopt);
    EXPECT_EQ(json_bool(v, "d"), std::nullopt) << "1.0 is kept as text \"1.0\"";
}

// --- Digests ----------------------------------------------------------------------------------

TEST(Md5Hex, KnownVectors) {
    EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
    EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(md5_hex("The quick brown fox jumps over the lazy dog"),
              "9e107d9d372bb6826bd81d3542a419d6");
    EXPECT_EQ(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234"
                      "567890"),
              "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Sha256Hex, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Md5Hex, HashesBytesIncludingNulAndUtf8) {
    EXPECT_EQ(md5_hex(std::string_view("a\0b", 3)).size(), 32u);
    EXPECT_NE(md5_hex(std::string_view("a\0b", 3)), md5_hex("ab"));
    EXPECT_EQ(md5_hex("\xe4\xb8\xad"), md5_hex("中"));
}

bool is_lower_hex(const std::string& s) {
    for (char c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
    }
    return true;
}

TEST(ContentHash, SixteenLowercaseHexCharsStableAcrossCalls) {
    // XXH3-64 of the empty input, written big-endian (the canonical XXH representation).
    EXPECT_EQ(content_hash(""), "2d06800538d394c2");
    for (std::string_view s : {"", "a", "{\"sku\":\"A1\",\"price\":\"2.66\"}"}) {
        std::string h = content_hash(s);
        EXPECT_EQ(h.size(), 16u) << h;
        EXPECT_TRUE(is_lower_hex(h)) << h;
        EXPECT_EQ(h, content_hash(std::string(s))) << "not stable";
    }
    EXPECT_NE(content_hash("{\"price\":\"2.66\"}"), content_hash("{\"price\":\"2.67\"}"));
}

}  // namespace
}  // namespace csync

namespace csync {
namespace {

std::string nested_arrays(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

// Everything that walks a json value recurses per level: the parser is where depth is bounded.
TEST(ParseJsonExact, RefusesNestingDeeperThanTheBoundAsABadResponse) {
    EXPECT_TRUE(parse_json_exact(nested_arrays(kMaxJsonDepth)).ok());
    auto deep = parse_json_exact("{\"data\":" + nested_arrays(200'000) + "}");
    ASSERT_FALSE(deep.ok());
    EXPECT_EQ(deep.error().kind, ErrorKind::bad_response);
    EXPECT_NE(deep.error().message.find("nesting deeper than 512"), std::string::npos)
        << deep.error().message;
    std::string objects;
    for (int i = 0; i < 600; ++i) objects += "{\"a\":";
    objects += "1" + std::string(600, '}');
    auto deep_objects = parse_json_exact(objects);
    ASSERT_FALSE(deep_objects.ok());
    EXPECT_EQ(deep_objects.error().kind, ErrorKind::bad_response);
}

}  // namespace
}  // namespace csync
