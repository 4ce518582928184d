// The simdjson readers of Wangdiantong answers against the general path they stand in for:
// parse_exact_fast builds parse_json_exact's document (exact decimals as text, unsigned and signed
// integers as nlohmann has them, the last of repeated keys), and WaitListReader gives what
// parse_wait_list(read_envelope(...)) gives, on the simulator's answers and on malformed variants
// of them (truncated, garbage, wrong types, big numbers, escapes, duplicates).
#include <gtest/gtest.h>

#include "core/json_util.hpp"
#include "hot_pages_expect.hpp"
#include "wangdiantong/wait_list_page.hpp"

namespace csync::wangdiantong {
namespace {

namespace hot = csync::testing::hot_pages;
using hot::answer;
using nlohmann::json;

// The value's types all the way down ("u" unsigned, "i" signed, "s" string, ...): == and dump()
// do not tell an unsigned 5 from a signed one.
std::string types_of(const json& value) {
    std::string out(1, static_cast<char>('a' + static_cast<int>(value.type())));
    if (value.is_structured()) {
        out += '(';
        for (const auto& child : value) out += types_of(child);
        out += ')';
    }
    return out;
}

// True when the fast reader read `body`; either way its document is parse_json_exact's.
bool same_document(const std::string& body) {
    auto fast = parse_exact_fast(body);
    auto general = parse_json_exact(body);
    if (fast) {
        EXPECT_TRUE(general.ok()) << body.substr(0, 300);
        if (!general.ok()) return true;
        EXPECT_EQ(*fast, *general) << body.substr(0, 300);
        // Equal values of another type would print differently (1 vs "1", 1 vs 1.0).
        EXPECT_EQ(fast->dump(), general->dump());
        EXPECT_EQ(types_of(*fast), types_of(*general));
    }
    return fast.has_value();
}

bool same_wait_list(WaitListReader& reader, const HttpResponse& response) {
    auto fast = reader.read(response, hot::kNow);
    auto envelope = read_envelope(response, hot::kNow);
    Result<WaitList> general =
        envelope.ok() ? parse_wait_list(*envelope) : Result<WaitList>(envelope.error());
    EXPECT_EQ(fast.ok(), general.ok()) << response.body.substr(0, 300);
    if (fast.ok() && general.ok()) {
        EXPECT_EQ(fast->ids, general->ids);
        EXPECT_EQ(fast->position, general->position);
        EXPECT_EQ(fast->listed, general->listed);
    } else if (!fast.ok() && !general.ok()) {
        EXPECT_EQ(fast.error().kind, general.error().kind);
        EXPECT_EQ(fast.error().message, general.error().message);
    }
    return reader.fast();
}

const std::vector<std::pair<std::string, std::string>> kSwaps = {
    {"\"id_list\":[", "\"id_list\":[\"17\",\"x\","},
    {"\"id_list\":[", "\"id_list\":[\"18\","},
    {"\"id_list\":[", "\"id_list\":[1.5,"},
    {"\"id_list\":[", "\"id_list\":[-0,"},
    {"\"id_list\":[", "\"id_list\":[9223372036854775808,"},
    {"\"id_list\":[", "\"id_list\":[null,"},
    {"\"id_list\":[", "\"id_list\":[true,"},
    {"\"id_list\":[", "\"id_list\":[1e3,"},
    {"\"id_list\":[", "\"id_list\":[01,"},
    {"\"id_list\":[", "\"id_list\":[3,3,"},
    {"\"id_list\":[", "\"id_list\":{},\"x\":["},
    {"\"id_list\":[", "\"id_list\":null,\"x\":["},
    {"\"position\":", "\"position\":\"12\",\"p\":"},
    {"\"position\":", "\"position\":1.5,\"p\":"},
    {"\"position\":", "\"position\":null,\"p\":"},
    {"\"status\":0", "\"status\":100,\"message\":\"超过每分钟最大调用频率限制，请稍后重试\""},
    {"\"status\":0", "\"status\":\"0\""},
    {"\"status\":0", "\"status\":7"},
    {"\"status\":0", "\"status\":0,\"status\":1"},
    {"\"status\":0", "\"stat\":0"},
    {"\"data\":{", "\"data\":null,\"d\":{"},
    {"\"syn_stock\":", "\"syn_stock\":12345678901234567890.123456789,\"s\":"},
    {"\"syn_stock\":", "\"syn_stock\":-1E-7,\"s\":"},
    {"\"modified\":\"", "\"modified\":\"\\u0032\\u0030"},
    {"\"rec_id\":", "\"rec_id\":1,\"rec_id\":"},
};

TEST(WangdiantongFastReader, SimulatorAnswersReadFastAndAlike) {
    hot::Wangdiantong platform(600);
    WaitListReader reader;
    for (int count : {10, 200, 500}) {
        const HttpResponse listed = platform.wait_list(count);
        EXPECT_TRUE(same_wait_list(reader, listed)) << listed.body.substr(0, 200);
        EXPECT_TRUE(same_document(listed.body));
        auto ids = reader.read(listed, hot::kNow).value().ids;
        ids.resize(std::min<std::size_t>(ids.size(), 50));
        const HttpResponse calc = platform.batch_calc(ids);
        EXPECT_TRUE(same_document(calc.body)) << calc.body.substr(0, 200);
        // read_envelope's data is parse_json_exact's, record for record.
        auto data = read_envelope(calc, hot::kNow);
        ASSERT_TRUE(data.ok());
        EXPECT_EQ(data->dump(), (*parse_json_exact(calc.body))["data"].dump());
    }
}

TEST(WangdiantongFastReader, MalformedVariantsGiveTheGeneralPathsResults) {
    hot::Wangdiantong platform(300);
    WaitListReader reader;
    const HttpResponse listed = platform.wait_list(40);
    auto ids = reader.read(listed, hot::kNow).value().ids;
    ids.resize(std::min<std::size_t>(ids.size(), 5));
    for (const std::string& body : hot::variants(listed.body, kSwaps)) {
        same_wait_list(reader, answer(body));
        same_document(body);
    }
    for (const std::string& body : hot::variants(platform.batch_calc(ids).body, kSwaps)) {
        same_document(body);
        auto a = read_envelope(answer(body), hot::kNow);
        auto parsed = parse_json_exact(body);
        if (a.ok() && parsed.ok() && parsed->is_object()) {
            EXPECT_EQ(a->dump(), parsed->value("data", json()).dump());
        }
    }
}

TEST(WangdiantongFastReader, HandWrittenDocumentsAndStatuses) {
    const std::vector<std::string> bodies = {
        R"({"status":0,"data":{"id_list":[3,1,3,"7",2],"position":99}})",
        R"({"status":0,"data":{"id_list":[]}})",
        R"({"status":0})",
        R"({"status":0,"data":{}})",
        R"({"status":0,"data":{"id_list":[1],"position":"x"}})",
        R"({"status":5,"message":"busy"})",
        R"({"status":0,"data":{"a":18446744073709551615,"b":-9223372036854775808,"c":550.0000,"d":[true,false,null,{}],"e":"\u00e9\"\\","a":1}})",
        R"({"status":0,"data":[0,-0,5,-5,9223372036854775807,9223372036854775808,-1.5,1e2,"7"]})",
        R"([1,2,3])",
        R"("text")",
        R"(12)",
    };
    WaitListReader reader;
    for (const std::string& body : bodies) {
        same_document(body);
        for (int status : {200, 404, 429, 500}) same_wait_list(reader, answer(body, status));
    }
    auto list = reader.read(answer(bodies[0]), hot::kNow);
    ASSERT_TRUE(list.ok());
    EXPECT_TRUE(reader.fast());
    EXPECT_EQ(list->ids, (std::vector<std::int64_t>{3, 1, 7, 2}));
    EXPECT_EQ(list->listed, 5u);
    EXPECT_EQ(list->position, 99);
    // Exact decimals stay text; the repeated key keeps its last value.
    auto doc = parse_exact_fast(bodies[6]);
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ((*doc)["data"]["c"], "550.0000");
    EXPECT_EQ((*doc)["data"]["a"], 1);
    EXPECT_TRUE((*doc)["data"]["b"].is_number_integer());
}

}  // namespace
}  // namespace csync::wangdiantong
