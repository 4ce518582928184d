// The `replicas` section of the configuration: lease period and replica id, with clear errors.
#include <fstream>

#include <gtest/gtest.h>

#include "config/config_loader.hpp"

namespace csync::config {
namespace {

using namespace std::chrono_literals;

std::vector<PlatformSpec> specs() {
    PlatformSpec p;
    p.name = "sunsky";
    p.default_base_url = "https://open.sunsky-online.com";
    p.default_timezone = "Asia/Shanghai";
    p.required_credentials = {"key", "secret"};
    p.streams = {StreamSpec{"products", 300s, 100, 1000, {}}};
    return {p};
}

constexpr const char* kAccounts =
    "accounts:\n"
    "  - name: shop\n"
    "    platform: sunsky\n"
    "    credentials: { key: k, secret: s }\n"
    "    streams: { products: {} }\n";

Result<Config> parse(const std::string& replicas) {
    return parse_config(replicas + kAccounts, "replicas.yaml", specs());
}

TEST(ReplicasConfig, DefaultsToAThirtySecondLeaseAndAGeneratedId) {
    auto c = parse("");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->replicas.lease, 30s);
    EXPECT_FALSE(c->replicas.id);
}

TEST(ReplicasConfig, ReadsLeaseAndId) {
    auto c = parse("replicas: { lease: 2500ms, id: node-a.eu:1 }\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->replicas.lease, 2500ms);
    EXPECT_EQ(c->replicas.id.value_or(""), "node-a.eu:1");
}

TEST(ReplicasConfig, EveryMistakeIsNamedWithItsPlace) {
    auto c = parse("replicas: { lease: 500ms, id: \"a b\", owner: x }\n");
    ASSERT_FALSE(c.ok());
    const std::string& m = c.error().message;
    EXPECT_NE(m.find("replicas.yaml:1:20: replicas.lease: must be at least 1s"), std::string::npos)
        << m;
    EXPECT_NE(m.find("replicas.id: invalid replica id 'a b'"), std::string::npos) << m;
    EXPECT_NE(m.find("replicas.owner"), std::string::npos) << m;
    auto soon = parse("replicas: { lease: soon }\n");
    ASSERT_FALSE(soon.ok());
    EXPECT_NE(soon.error().message.find("replicas.lease: invalid duration 'soon'"),
              std::string::npos)
        << soon.error().message;
}

TEST(ReplicasConfig, ThePostgresBackendNeedsADsnInlineOrFromAFile) {
    auto missing = parse("store: { backend: postgres }\n");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("store.dsn: missing: backend postgres needs dsn or "
                                           "dsn_file"),
              std::string::npos)
        << missing.error().message;
    auto inline_dsn = parse("store: { backend: postgres, dsn: \"postgresql://u@h/db\" }\n");
    ASSERT_TRUE(inline_dsn.ok()) << inline_dsn.error().message;
    EXPECT_EQ(inline_dsn->store.backend, "postgres");
    EXPECT_EQ(inline_dsn->store.dsn, "postgresql://u@h/db");
    EXPECT_EQ(secret_values(*inline_dsn).front(), "postgresql://u@h/db");

    const std::string file = ::testing::TempDir() + "/replicas-dsn.txt";
    {
        std::ofstream out(file);
        out << "host=db user=u password=p\n";
    }
    auto from_file = parse("store: { backend: postgres, dsn_file: " + file + " }\n");
    ASSERT_TRUE(from_file.ok()) << from_file.error().message;
    EXPECT_EQ(from_file->store.dsn, "host=db user=u password=p");

    auto both = parse("store: { backend: postgres, dsn: x, dsn_file: " + file + " }\n");
    ASSERT_FALSE(both.ok());
    EXPECT_NE(both.error().message.find("give either dsn or dsn_file"), std::string::npos);
    auto unknown = parse("store: { backend: mysql }\n");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("unknown backend 'mysql' (expected sqlite or postgres)"),
              std::string::npos)
        << unknown.error().message;
}

}  // namespace
}  // namespace csync::config
