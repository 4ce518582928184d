// Redaction is the last line of defence for credentials: every log line goes through it.
#include "log/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace csync::log {
namespace {

TEST(Redact, MasksSignatureAndTokenParametersInUrlsFormsAndJson) {
    EXPECT_EQ(redact("POST http://h/openapi?sid=s&sign=0a1b2c&timestamp=1"),
              "POST http://h/openapi?sid=s&sign=***&timestamp=1");
    EXPECT_EQ(redact("key=k&signature=ABCDEF"), "key=k&signature=***");
    EXPECT_EQ(redact(R"({"access_token":"tok-1","refresh_token": "tok-2","n":1})"),
              R"({"access_token":"***","refresh_token": "***","n":1})");
    EXPECT_EQ(redact("app_secret=x1&AppSecret=x2&salt=x3"),
              "app_secret=***&AppSecret=***&salt=***");
}

TEST(Redact, LeavesOrdinaryWordsAndSimilarNamesAlone) {
    EXPECT_EQ(redact("auth: signature rejected (NO_PERMISSION_DUE_TO_SIGNATURE)"),
              "auth: signature rejected (NO_PERMISSION_DUE_TO_SIGNATURE)");
    EXPECT_EQ(redact("accounts[1].credentials.secret: missing"),
              "accounts[1].credentials.secret: missing");
    EXPECT_EQ(redact("signs=1&design=2&sign_method=md5"), "signs=1&design=2&sign_method=md5");
}

TEST(Redact, MasksRegisteredSecretsRawFormEncodedAndBySaltPart) {
    add_secret("s3cr3t value+1");
    add_secret("wdt-secret-part:wdt-salt:with:colons");
    EXPECT_EQ(redact("body was s3cr3t value+1 and s3cr3t+value%2B1"), "body was *** and ***");
    EXPECT_EQ(redact("salt wdt-salt:with:colons leaked"), "salt *** leaked");
    EXPECT_EQ(redact("secret part wdt-secret-part only"), "secret part *** only");
    EXPECT_EQ(redact("whole wdt-secret-part:wdt-salt:with:colons"), "whole ***");
}

TEST(Redact, IgnoresTooShortSecretsThatWouldMaskOrdinaryText) {
    add_secret("ab");
    EXPECT_EQ(redact("a cab is a cab"), "a cab is a cab");
}

TEST(Logger, TextLinesCarryFieldsAndAreRedacted) {
    init({"debug", "text"});
    add_secret("very-secret-key-1");
    Logger logger = root().with("account", "acme").with("stream", "products");
    testing::internal::CaptureStderr();
    logger.info("GET {} failed", "http://h/x?sign=abc&k=very-secret-key-1");
    logger.debug("shown at debug");
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_NE(out.find("account=acme stream=products GET http://h/x?sign=***&k=*** failed"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("shown at debug"), std::string::npos);
    EXPECT_EQ(out.find("very-secret-key-1"), std::string::npos);
    EXPECT_NE(out.find("Z info"), std::string::npos) << "UTC timestamp then level: " << out;
}

TEST(Logger, LevelFiltersLines) {
    init({"warn", "text"});
    testing::internal::CaptureStderr();
    root().info("hidden");
    root().warn("visible");
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_EQ(out.find("hidden"), std::string::npos);
    EXPECT_NE(out.find("visible"), std::string::npos);
}

TEST(Logger, JsonLinesAreValidJsonWithFieldsAndRedaction) {
    init({"info", "json"});
    testing::internal::CaptureStderr();
    root().with("account", "acme").with("run", "7").warn("quote \" and sign={}", "deadbeef");
    std::string out = testing::internal::GetCapturedStderr();
    auto line = nlohmann::json::parse(out.substr(0, out.find('\n')));
    EXPECT_EQ(line["level"], "warning");
    EXPECT_EQ(line["account"], "acme");
    EXPECT_EQ(line["run"], "7");
    EXPECT_EQ(line["msg"], "quote \" and sign=***");
    EXPECT_EQ(line["ts"].get<std::string>().back(), 'Z');
    init({"info", "text"});
}

// Names the current stderr in $JOURNAL_STREAM, as systemd does for a service whose output is the
// journal; `other_inode` names a different stream (stderr redirected by a parent, say).
void set_journal_stream_to_stderr(bool other_inode = false) {
    struct stat st {};
    ASSERT_EQ(fstat(STDERR_FILENO, &st), 0);
    std::string value = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + other_inode);
    ::setenv("JOURNAL_STREAM", value.c_str(), 1);
}

TEST(Logger, JournalLinesCarrySyslogPrioritiesAndNoTimestamp) {
    testing::internal::CaptureStderr();
    set_journal_stream_to_stderr();
    EXPECT_TRUE(stderr_is_journal());
    init({"debug", "text"});
    root().with("account", "acme").error("broken");
    root().warn("careful");
    root().info("fine");
    root().debug("detail");
    std::string out = testing::internal::GetCapturedStderr();
    ::unsetenv("JOURNAL_STREAM");
    init({"info", "text"});
    EXPECT_EQ(out,
              "<3>error account=acme broken\n<4>warning careful\n<6>info  fine\n<7>debug detail\n");
}

TEST(Logger, JournalJsonLinesKeepTheirObjectAfterThePrefix) {
    testing::internal::CaptureStderr();
    set_journal_stream_to_stderr();
    init({"info", "json"});
    root().warn("w");
    std::string out = testing::internal::GetCapturedStderr();
    ::unsetenv("JOURNAL_STREAM");
    init({"info", "text"});
    ASSERT_EQ(out.rfind("<4>{", 0), 0u) << out;
    auto line = nlohmann::json::parse(out.substr(3));
    EXPECT_EQ(line["msg"], "w");
    EXPECT_FALSE(line.contains("ts"));
}

TEST(Logger, JournalStreamOfAnotherFileKeepsTimestampedLines) {
    testing::internal::CaptureStderr();
    set_journal_stream_to_stderr(/*other_inode=*/true);
    EXPECT_FALSE(stderr_is_journal());
    init({"info", "text"});
    root().info("plain");
    std::string out = testing::internal::GetCapturedStderr();
    ::unsetenv("JOURNAL_STREAM");
    init({"info", "text"});
    EXPECT_EQ(out.find('<'), std::string::npos) << out;
    EXPECT_NE(out.find("Z info  plain"), std::string::npos) << out;
}

}  // namespace
}  // namespace csync::log

namespace csync::log {
namespace {

// A signature just computed is masked by value, wherever and however it is quoted; only the most
// recent ones are kept.
TEST(Redaction, RecentSignaturesAreMaskedByValue) {
    add_signature("0123456789abcdef0123456789abcdef");
    EXPECT_EQ(redact("gateway got 0123456789abcdef0123456789abcdef, refused"),
              "gateway got ***, refused");
    for (std::size_t i = 0; i < kRecentSignatures; ++i) {
        add_signature("older-signature-" + std::to_string(i) + "-padding");
    }
    EXPECT_EQ(redact("0123456789abcdef0123456789abcdef"), "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(redact("older-signature-255-padding"), "***");
}

}  // namespace
}  // namespace csync::log
