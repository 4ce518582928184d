// The Sunsky simulator behaves like the platform: deterministic data, ordering, paging limits,
// signature check, call budget, mutations and truth.
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "core/json_util.hpp"
#include "sim_call.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;
using testing::call;
using testing::raw_call;

const Credentials kCreds{"sim-key", "sim-secret"};

SimOptions options(std::size_t products, std::uint64_t seed = 7) {
    SimOptions o;
    o.seed = seed;
    o.products = products;
    o.credentials = {{"key", kCreds.key}, {"secret", kCreds.secret}};
    o.now = [] {
        return std::chrono::system_clock::time_point{std::chrono::seconds{1'717'243'200}};
    };
    return o;  // now: 2024-06-01T12:00:00Z = 06/01/2024 20:00:00 in Shanghai
}

std::vector<json> truth(SunskySimulator& sim) {
    std::vector<json> out;
    std::istringstream in(sim.truth_ndjson());
    std::string line;
    while (std::getline(in, line)) out.push_back(json::parse(line));
    return out;
}

TEST(SunskySimulator, SameSeedSameCatalogueAndTheRecordsLookLikeTheNotes) {
    SunskySimulator a(options(500)), b(options(500)), c(options(500, 8));
    EXPECT_EQ(a.truth_ndjson(), b.truth_ndjson());
    EXPECT_NE(a.truth_ndjson(), c.truth_ndjson());
    auto records = truth(a);
    ASSERT_EQ(records.size(), 500u);
    std::set<std::string> items, groups, decimals;
    std::set<int> statuses;
    for (const auto& r : records) {
        items.insert(r.at("itemNo").get<std::string>());
        groups.insert(r.at("groupItemNo").get<std::string>());
        statuses.insert(r.at("status").get<int>());
        ASSERT_TRUE(r.at("price").is_string());
        const std::string price = r.at("price").get<std::string>();
        decimals.insert(std::to_string(price.size() - price.find('.') - 1));
        ASSERT_TRUE(parse_time(r.at("gmtModified").get<std::string>()));
        ASSERT_TRUE(r.at("stock").is_number_integer());
        ASSERT_TRUE(r.contains("name") && r.contains("categoryId") && r.contains("brandName"));
    }
    EXPECT_EQ(items.size(), 500u);
    EXPECT_LT(groups.size(), 400u);  // variants share a groupItemNo
    EXPECT_EQ(decimals, (std::set<std::string>{"2", "3", "4"}));
    EXPECT_EQ(statuses, (std::set<int>{0, 1, 2, 3}));
}

TEST(SunskySimulator, SearchIsOrderedByModificationWithAnEqualTimestampBlockAcrossPages) {
    SunskySimulator sim(options(1000));
    std::map<std::string, int> per_time;
    std::vector<std::pair<std::string, std::int64_t>> order;
    for (int page = 1;; ++page) {
        auto data = call(sim, "product!search",
                         {{"page", std::to_string(page)},
                          {"pageSize", "100"},
                          {"gmtModifiedStart", "01/01/2000 00:00:00"}},
                         kCreds);
        ASSERT_TRUE(data.ok()) << data.error().message;
        EXPECT_EQ((*data)["total"], 1000);
        EXPECT_EQ((*data)["pageCount"], 10);
        if ((*data)["result"].empty()) break;
        for (const auto& r : (*data)["result"]) {
            order.emplace_back(r["gmtModified"].get<std::string>(), r["id"].get<std::int64_t>());
            ++per_time[r["gmtModified"].get<std::string>()];
        }
    }
    ASSERT_EQ(order.size(), 1000u);
    for (std::size_t i = 1; i < order.size(); ++i) {
        auto a = *parse_time(order[i - 1].first), b = *parse_time(order[i].first);
        ASSERT_TRUE(a < b || (a == b && order[i - 1].second < order[i].second)) << i;
    }
    int biggest = 0;
    for (const auto& [time, n] : per_time) biggest = std::max(biggest, n);
    EXPECT_GE(biggest, 120);  // the bulk block spans more than one page of 100
}

TEST(SunskySimulator, InclusiveLowerBoundAndPageSizeLimits) {
    SunskySimulator sim(options(300));
    auto all = call(sim, "product!search", {}, kCreds);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ((*all)["result"].size(), 40u);  // default page size (seed)
    EXPECT_EQ((*all)["pageCount"], 8);
    auto big = call(sim, "product!search", {{"pageSize", "500"}}, kCreds);
    EXPECT_EQ((*big)["result"].size(), 100u);  // max 100 (seed)

    auto last = call(sim, "product!search", {{"pageSize", "100"}, {"page", "3"}}, kCreds);
    const std::string boundary = (*last)["result"][50]["gmtModified"].get<std::string>();
    auto from =
        call(sim, "product!search", {{"gmtModifiedStart", boundary}, {"pageSize", "100"}}, kCreds);
    ASSERT_TRUE(from.ok());
    EXPECT_EQ((*from)["result"][0]["gmtModified"], boundary);  // inclusive
    for (const auto& r : (*from)["result"]) {
        EXPECT_GE(*parse_time(r["gmtModified"].get<std::string>()), *parse_time(boundary));
    }
    auto past = call(sim, "product!search", {{"page", "99"}}, kCreds);
    EXPECT_TRUE((*past)["result"].empty());
    auto bad = call(sim, "product!search", {{"gmtModifiedStart", "2024-01-01"}}, kCreds);
    EXPECT_FALSE(bad.ok());
}

TEST(SunskySimulator, RejectsAWrongSignatureLikeThePlatform) {
    SunskySimulator sim(options(10));
    auto wrong = call(sim, "product!search", {}, {"sim-key", "not-the-secret"});
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().kind, ErrorKind::auth);
    EXPECT_NE(raw_call(sim, "product!search", {}, {"sim-key", "x"})
                  .body.find("NO_PERMISSION_DUE_TO_SIGNATURE"),
              std::string::npos);
    // A tampered body fails too: the bytes on the wire are what is verified.
    auto request = testing::signed_request("product!search", {{"page", "1"}}, kCreds);
    request.body.replace(request.body.find("page=1"), 6, "page=2");
    EXPECT_NE(testing::send(sim, request).body.find("NO_PERMISSION_DUE_TO_SIGNATURE"),
              std::string::npos);
    EXPECT_EQ(sim.api_calls(), 0);
}

TEST(SunskySimulator, SameTimeControlRouteMakesOneBlockAcrossPages) {
    SunskySimulator sim(options(120));
    SimRequest block;
    block.method = "POST";
    block.path = "/__sim/sunsky/same-time";
    block.query = {{"count", "100"}, {"seconds_ago", "600"}};
    auto answer = sim.control(block);
    ASSERT_EQ(answer.status, 200) << answer.body;
    const auto body = json::parse(answer.body);
    EXPECT_EQ(body["items"], 100);
    const std::string when = body["gmtModified"];
    int sharing = 0;
    for (const json& record : truth(sim)) sharing += record["gmtModified"] == when ? 1 : 0;
    EXPECT_EQ(sharing, 100);
    block.query = {{"count", "x"}};
    EXPECT_EQ(sim.control(block).status, 400);
}

TEST(SunskySimulator, UserStatusControlRouteDisablesTheKey) {
    SunskySimulator sim(options(10));
    SimRequest off;
    off.method = "POST";
    off.path = "/__sim/sunsky/user-status";
    off.query = {{"active", "0"}};
    EXPECT_EQ(sim.control(off).status, 200);
    auto r = call(sim, "product!search", {}, kCreds);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::auth);
    EXPECT_NE(r.error().message.find("NO_PERMISSION_DUE_TO_USER_STATUS"), std::string::npos);
    SimRequest unknown;
    unknown.method = "GET";
    unknown.path = "/__sim/sunsky/nope";
    EXPECT_EQ(sim.control(unknown).status, 404);
}

TEST(SunskySimulator, PerMinuteCallBudget) {
    auto clock = std::make_shared<std::chrono::system_clock::time_point>(
        std::chrono::seconds{1'717'243'200});
    SimOptions o = options(10);
    o.rate_limit_per_minute = 3;
    o.now = [clock] { return *clock; };
    SunskySimulator sim(o);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(call(sim, "product!search", {}, kCreds).ok()) << i;
    auto limited = call(sim, "product!search", {}, kCreds);
    ASSERT_FALSE(limited.ok());
    EXPECT_EQ(limited.error().kind, ErrorKind::rate_limited);
    EXPECT_EQ(raw_call(sim, "product!search", {}, kCreds).body, sim.rate_limit_response().body);
    *clock += std::chrono::seconds{60};
    EXPECT_TRUE(call(sim, "product!search", {}, kCreds).ok());

    o.rate_limit_per_minute = 0;  // off
    SunskySimulator unlimited(o);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(call(unlimited, "product!search", {}, kCreds).ok());
}

TEST(SunskySimulator, MutateBumpsToNowInThePlatformZoneAndChangesContent) {
    SimOptions o = options(200);
    o.timezone = "+08:00";
    SunskySimulator sim(o);
    auto before = truth(sim);
    EXPECT_EQ(sim.mutate(30), 30u);
    auto after = truth(sim);
    int changed = 0;
    for (std::size_t i = 0; i < after.size(); ++i) {
        if (after[i] == before[i]) continue;
        ++changed;
        EXPECT_EQ(after[i]["gmtModified"], "06/01/2024 20:00:00");
        EXPECT_NE(after[i]["stock"], before[i]["stock"]);
    }
    EXPECT_EQ(changed, 30);
    EXPECT_EQ(sim.mutate(1000), 200u);
}

TEST(SunskySimulator, DetailAndCategoryTree) {
    SunskySimulator sim(options(50));
    const std::string item = sim.item_at(7);
    auto d = call(sim, "product!detail", {{"itemNo", item}}, kCreds);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ((*d)["itemNo"], item);
    auto missing = call(sim, "product!detail", {{"itemNo", "NOPE"}}, kCreds);
    EXPECT_EQ(missing.error().kind, ErrorKind::config);

    auto all = call(sim, "category!getChildren", {}, kCreds);
    ASSERT_TRUE(all.ok());
    ASSERT_GT(all->size(), 10u);
    std::set<std::int64_t> ids;
    for (const auto& c : *all) ids.insert(c["id"].get<std::int64_t>());
    for (const auto& c : *all) {
        auto parent = c["parentId"].get<std::int64_t>();
        EXPECT_TRUE(parent == 0 || ids.count(parent)) << c.dump();
    }
    auto top = call(sim, "category!getChildren", {{"parentId", "0"}}, kCreds);
    EXPECT_EQ(top->size(), 6u);
    const std::string mid = (*all)[20]["gmtModified"].get<std::string>();
    std::size_t expected = 0;
    for (const auto& c : *all)
        expected += *parse_time(c["gmtModified"].get<std::string>()) >= *parse_time(mid);
    auto since = call(sim, "category!getChildren", {{"gmtModifiedStart", mid}}, kCreds);
    EXPECT_EQ(since->size(), expected);
    EXPECT_LT(since->size(), all->size());
    // Every product sits in a category of the tree.
    for (const auto& r : truth(sim)) EXPECT_TRUE(ids.count(r["categoryId"].get<std::int64_t>()));
}

TEST(SunskySimulator, EveryItemResolvesAndAChangedItemMovesToTheEndOfTheOrder) {
    SunskySimulator sim(options(120));
    // Records are rendered on demand: detail by itemNo finds each one, and "almost" ids do not.
    for (const auto& r : truth(sim)) {
        auto d = call(sim, "product!detail", {{"itemNo", r["itemNo"].get<std::string>()}}, kCreds);
        ASSERT_TRUE(d.ok()) << r["itemNo"];
        EXPECT_EQ(*d, r);
    }
    const std::string first = sim.item_at(0);
    for (const std::string& wrong : {first + "Z", first.substr(0, first.size() - 1), "X" + first}) {
        EXPECT_FALSE(call(sim, "product!detail", {{"itemNo", wrong}}, kCreds).ok()) << wrong;
    }
    ASSERT_TRUE(sim.touch(first));
    EXPECT_EQ(sim.item_at(sim.product_count() - 1), first);
    auto page = call(sim, "product!search",
                     {{"gmtModifiedStart", "06/01/2024 20:00:00"}, {"pageSize", "100"}}, kCreds);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ((*page)["total"], 1);
    EXPECT_EQ((*page)["result"][0]["itemNo"], first);
}

TEST(SunskySimulator, UnknownMethodIs404AndMissingCredentialsRefuseToStart) {
    SunskySimulator sim(options(5));
    EXPECT_EQ(raw_call(sim, "product!nosuch", {}, kCreds).status, 404);
    SimOptions o = options(5);
    o.credentials.erase("secret");
    EXPECT_THROW(SunskySimulator{o}, std::invalid_argument);
}

}  // namespace
}  // namespace csync::sunsky
