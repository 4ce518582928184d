// The signer against the shared test vectors (shared/platforms/sunsky.md §9), byte for byte:
// the string to hash, the signature and the PHP sample's form body. The vectors are read from
// tests/vectors/sunsky.md, a verbatim copy of the notes' table; the count is pinned too.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sunsky/protocol.hpp"
#include "sunsky/signer.hpp"

namespace csync::sunsky {
namespace {

struct Vector {
    std::string id;
    std::string key;
    std::string secret;
    Params params;  // besides key, in the notes' order
    std::string string_to_hash;
    std::string signature;
    std::string php_body;
};

std::vector<std::string> backticked(const std::string& cell) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while ((pos = cell.find('`', pos)) != std::string::npos) {
        auto end = cell.find('`', pos + 1);
        if (end == std::string::npos) break;
        out.push_back(cell.substr(pos + 1, end - pos - 1));
        pos = end + 1;
    }
    return out;
}

std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '|')) out.push_back(cell);
    return out;
}

// Reads the two vector tables of §9: "| S0 | endpoint | `k` / `s` | params | names | `hash` |
// `sig` |" and "| S0 | `body` |".
std::vector<Vector> load_vectors() {
    std::ifstream in(std::string(CSYNC_SOURCE_DIR) + "/tests/vectors/sunsky.md");
    std::vector<Vector> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("| S", 0) != 0) continue;
        auto c = cells(line);
        if (c.size() >= 8) {
            Vector v;
            v.id = c[1].substr(1, c[1].find(' ', 1) - 1);
            auto creds = backticked(c[3]);
            if (creds.size() != 2) continue;
            v.key = creds[0];
            v.secret = creds[1];
            for (const auto& p : backticked(c[4])) {
                auto eq = p.find('=');
                v.params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
            }
            v.string_to_hash = backticked(c[6]).at(0);
            v.signature = backticked(c[7]).at(0);
            out.push_back(std::move(v));
        } else if (c.size() == 3) {
            const std::string id = c[1].substr(1, c[1].find(' ', 1) - 1);
            auto body = backticked(c[2]);
            for (auto& v : out) {
                if (v.id == id && !body.empty()) v.php_body = body[0];
            }
        }
    }
    return out;
}

TEST(SunskySigner, SharedVectorsReproduceByteForByte) {
    auto vectors = load_vectors();
    ASSERT_EQ(vectors.size(), 4u) << "expected S0..S3 in tests/vectors/sunsky.md";
    for (const auto& v : vectors) {
        SCOPED_TRACE(v.id);
        Params all = v.params;
        all.emplace_back("key", v.key);
        auto text = SunskySigner::string_to_sign(all, v.secret);
        ASSERT_TRUE(text.ok());
        EXPECT_EQ(*text, v.string_to_hash);
        auto sig = SunskySigner::sign(all, v.secret);
        ASSERT_TRUE(sig.ok());
        EXPECT_EQ(*sig, v.signature);

        // The request builder's body is the PHP sample's body, byte for byte.
        auto request = build_request("http://h", "x!y", v.params, {v.key, v.secret}, "acct");
        ASSERT_TRUE(request.ok());
        EXPECT_EQ(request->body, v.php_body);
    }
}

TEST(SunskySigner, PinnedVectorsFromTheNotes) {
    // sunsky.md §9 S1 and S3, also pinned here so a damaged document cannot pass silently.
    Params s1 = {{"page", "1"},
                 {"pageSize", "100"},
                 {"gmtModifiedStart", "10/31/2013 01:23:20"},
                 {"key", "test_key"}};
    EXPECT_EQ(*SunskySigner::string_to_sign(s1, "test_secret"),
              "10/31/2013 01:23:20test_key1100@test_secret");
    EXPECT_EQ(*SunskySigner::sign(s1, "test_secret"), "855f85e48f92ec30dd2f21f89559072a");
    EXPECT_EQ(*SunskySigner::sign({{"key", "test_key"}}, "test_secret"),
              "c5cf99dd05ecf84d1ee469eec1400022");
    EXPECT_EQ(*SunskySigner::sign(
                  {{"key", "MYKEY"}, {"name", "John Smith"}, {"age", "19"}, {"gendar", "mail"}},
                  "MYSECRET"),
              "c908e6a13552aab42ce5f71adf78e21b");
}

TEST(SunskySigner, SortsNamesAsBytesAndIgnoresTheSignatureParameter) {
    Params p = {{"items.2.itemNo", "B"}, {"items.10.qty", "A"},   {"Zed", "U"}, {"key", "K"},
                {"keyword", "W"},        {"signature", "ignored"}};
    // 'Z' < 'i' < 'k'; "items.10" < "items.2"; "key" < "keyword".
    EXPECT_EQ(*SunskySigner::string_to_sign(p, "S"), "UABKW@S");
}

TEST(SunskySigner, KeepsValuesRawUtf8) {
    Params p = {{"key", "k"}, {"name", "Ünïcode & a+b=c%20"}};
    EXPECT_EQ(*SunskySigner::string_to_sign(p, "s"), "kÜnïcode & a+b=c%20@s");
}

TEST(SunskySigner, RepeatedNameIsAConfigError) {
    auto r = SunskySigner::sign({{"key", "k"}, {"a", "1"}, {"a", "2"}}, "s");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
}

}  // namespace
}  // namespace csync::sunsky
