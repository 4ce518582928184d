// The `replicas` section of the configuration: lease period and replica id, with clear errors.

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

}  // namespace
}  // namespace csync::config
