// The Qianmi simulator as a gateway: sign over everything it receives, timestamp window, tokens
// that expire and rotate, limits, quotas, the open-question readings, and a listing whose ties
// are shuffled and which drifts while it is paged. Called in process through the adapter's own
// request builders and envelope reader.
#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/json_util.hpp"
#include "core/run_coro.hpp"
#include "fakes/sim_http_client.hpp"
#include "qianmi/simulator.hpp"
#include "qianmi/wire.hpp"

namespace csync::qianmi {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const Credentials kApp{"sim-app", "sim-secret", "", ""};
constexpr std::int64_t kNow = 1'717'243'200;  // 2024-06-01T12:00:00Z

struct Rig {
    explicit Rig(std::size_t products = 200, int rate_limit = 0, seconds ttl = seconds{0}) {
        SimOptions o;
        o.seed = 11;
        o.products = products;
        o.rate_limit_per_minute = rate_limit;
        o.token_ttl = ttl;
        o.credentials = {{"app_key", kApp.app_key},
                         {"app_secret", kApp.app_secret},
                         {"access_token", "at-0"},
                         {"refresh_token", "rt-0"}};
        o.now = [this] { return std::chrono::system_clock::time_point{seconds{now}}; };
        sim = std::make_unique<QianmiSimulator>(o);
    }

    UtcTime clock() const { return UtcTime{seconds{now}}; }

    HttpResponse send(HttpRequest request) {
        boost::asio::io_context io;
        csync::testing::SimHttpClient http(*sim);
        return csync::testing::run_coro(io, http.send(std::move(request))).value();
    }
    HttpRequest request(std::string_view method, const Params& business) {
        return build_request("http://sim/api", kApp, token, method, business, clock()).value();
    }
    Result<json> call(std::string_view method, const Params& business) {
        return read_envelope(send(request(method, business)), method);
    }
    Result<ListingPage> page(std::int64_t page_no, int size, std::string_view order_by = "cid") {
        auto body = call(kItemsAllList, listing_params(page_no, size, order_by).value());
        if (!body.ok()) return body.error();
        return read_listing(*body);
    }
    Result<TokenPair> refresh(const std::string& refresh_token) {
        auto req = build_refresh_request("http://sim/token", kApp, refresh_token).value();
        return read_refresh_response(send(std::move(req)), refresh_token, clock());
    }
    std::vector<std::string> ids(const ListingPage& p) {
        std::vector<std::string> out;
        for (const auto& e : p.entries) out.push_back(e.num_iid);
        return out;
    }

    std::int64_t now = kNow;
    std::string token = "at-0";
    std::unique_ptr<QianmiSimulator> sim;
};

ErrorKind kind_of(const Result<json>& r) { return r.ok() ? ErrorKind::cancelled : r.error().kind; }

TEST(QianmiSimulatorReadings, StartUpReadingsTakeEffectAndAnUnknownOneIsRefused) {
    SimOptions o;
    o.credentials = {{"app_key", kApp.app_key}, {"app_secret", kApp.app_secret}};
    o.readings = {{"scalars", "number"}, {"token_code", "21"}, {"ties", "stable"}};
    QianmiSimulator sim(o);
    EXPECT_EQ(sim.readings_json()["scalars"], "number");
    EXPECT_EQ(sim.readings_json()["token_code"], 21);
    EXPECT_EQ(sim.readings_json()["ties"], "stable");

    o.readings = {{"scalars", "roman"}};
    EXPECT_THROW(QianmiSimulator{o}, std::invalid_argument);
    o.readings = {{"no_such_reading", "1"}};
    EXPECT_THROW(QianmiSimulator{o}, std::invalid_argument);
}

TEST(QianmiSimulator, NeedsTheAppKeyAndSecretAndDefaultsTheFirstTokens) {
    SimOptions o;
    o.products = 5;
    EXPECT_THROW(QianmiSimulator{o}, std::invalid_argument);
    o.credentials = {{"app_key", "k"}};
    EXPECT_THROW(QianmiSimulator{o}, std::invalid_argument);
    o.credentials["app_secret"] = "s";
    QianmiSimulator sim(o);
    EXPECT_EQ(sim.access_token(), "sim-access-token");
    EXPECT_EQ(sim.refresh_token(), "sim-refresh-token");
    EXPECT_EQ(sim.item_count(), 5u);
}

TEST(QianmiSimulator, ListsTheCatalogueWithOnlyTheFieldsAsked) {
    Rig rig;
    auto body = rig.call(kItemsAllList, listing_params(0, 50, "cid").value());
    ASSERT_TRUE(body.ok()) << body.error().message;
    EXPECT_EQ((*body)["total_results"], 200);
    auto rows = unwrap_list(*body, "items", "item").value();
    ASSERT_EQ(rows.size(), 50u);
    for (const auto& r : rows) {
        EXPECT_EQ(r.size(), 2u) << r.dump();
        EXPECT_TRUE(parse_timestamp(r["modified"].get<std::string>()));
    }
    auto last = rig.page(3, 50).value();
    EXPECT_EQ(last.entries.size(), 50u);
    EXPECT_TRUE(rig.page(4, 50).value().entries.empty());
}

TEST(QianmiSimulator, SameSeedSameCatalogueWithSkusAndChineseTitles) {
    Rig a, b;
    EXPECT_EQ(a.sim->truth_ndjson(), b.sim->truth_ndjson());
    std::istringstream in(a.sim->truth_ndjson());
    std::string line;
    std::size_t n = 0, skus = 0, digits_only = 0;
    while (std::getline(in, line)) {
        json item = json::parse(line);
        ++n;
        skus += item["skus"]["sku"].size();
        const std::string id = item["num_iid"].get<std::string>();
        if (id[0] != 'P') ++digits_only;
        auto mapped = map_item(item, std::nullopt);
        ASSERT_TRUE(std::holds_alternative<MappedProduct>(mapped)) << line;
    }
    EXPECT_EQ(n, 200u);
    EXPECT_GT(skus, n);
    EXPECT_EQ(digits_only, 20u);
}

TEST(QianmiSimulator, ABadSignAWrongSecretOrAnUnsignedEmptyParameterIs25) {
    Rig rig;
    HttpRequest tampered = rig.request(kItemsListGet, {{"fields", "num_iid"}, {"num_iids", "P1"}});
    tampered.body += "0";
    auto e = read_envelope(rig.send(tampered), kItemsListGet);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().kind, ErrorKind::auth);
    EXPECT_NE(e.error().message.find("25"), std::string::npos);

    auto wrong =
        build_request("http://sim/api", Credentials{"sim-app", "other", "", ""}, rig.token,
                      kItemsListGet, {{"fields", "num_iid"}, {"num_iids", "P1"}}, rig.clock())
            .value();
    EXPECT_EQ(kind_of(read_envelope(rig.send(wrong), kItemsListGet)), ErrorKind::auth);

    // The gateway signs every parameter it receives, empty ones included: a client that sends an
    // empty value without signing it (as the SDK's sign skips it) is refused...
    HttpRequest empty = rig.request(kItemsListGet, {{"fields", "num_iid"}, {"num_iids", "P10000"}});
    empty.body += "&outer_id=";
    EXPECT_EQ(kind_of(read_envelope(rig.send(empty), kItemsListGet)), ErrorKind::auth);
    // ...and one that signs it as sent is accepted.
    Params all = system_params(kApp.app_key, kItemsListGet, rig.token, rig.clock());
    all.insert(all.end(), {{"fields", "num_iid"}, {"num_iids", "P10000"}, {"outer_id", ""}});
    const std::string sign = QianmiSigner::sign(all, kApp.app_secret).value();
    HttpRequest signed_empty = empty;
    signed_empty.url =
        signed_empty.url.substr(0, signed_empty.url.find("&sign=")) + "&sign=" + sign;
    EXPECT_TRUE(read_envelope(rig.send(signed_empty), kItemsListGet).ok());
}

TEST(QianmiSimulator, TheTimestampWindowIsTenMinutes) {
    Rig rig;
    auto at = [&](std::int64_t offset) {
        auto r = build_request("http://sim/api", kApp, rig.token, kItemGet,
                               {{"fields", "num_iid"}, {"num_iid", "P10000"}},
                               rig.clock() + seconds{offset})
                     .value();
        return read_envelope(rig.send(r), kItemGet);
    };
    EXPECT_TRUE(at(-599).ok());
    EXPECT_TRUE(at(599).ok());
    auto stale = at(-601);
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().kind, ErrorKind::transient);  // code 38: re-signed fresh on retry
    ASSERT_TRUE(rig.sim->set_reading("timestamp_code", "33"));
    auto as_33 = at(601);
    ASSERT_FALSE(as_33.ok());
    EXPECT_EQ(as_33.error().kind, ErrorKind::config);
    EXPECT_NE(as_33.error().message.find("isv.invalid-paramete:timestamp"), std::string::npos);
}

TEST(QianmiSimulator, MillisecondTimestampsOnlyUnderThatReading) {
    Rig rig;
    Params all = system_params(kApp.app_key, kItemGet, rig.token, rig.clock());
    for (auto& [k, v] : all) {
        if (k == "timestamp") v = std::to_string(kNow * 1000);
    }
    all.insert(all.end(), {{"fields", "num_iid"}, {"num_iid", "P10000"}});
    const std::string sign = QianmiSigner::sign(all, kApp.app_secret).value();
    all.emplace_back("sign", sign);
    HttpRequest r;
    r.method = "POST";
    r.url = "http://sim/api?" + build_form(all);
    EXPECT_EQ(kind_of(read_envelope(rig.send(r), kItemGet)), ErrorKind::config);
    ASSERT_TRUE(rig.sim->set_reading("millis_timestamp", "1"));
    EXPECT_TRUE(read_envelope(rig.send(r), kItemGet).ok());
}

TEST(QianmiSimulator, TokensExpireAreRevokedAndAreMissing) {
    Rig rig(50, 0, seconds{3600});
    const Params ask = {{"fields", "num_iid"}, {"num_iids", "P10000"}};
    EXPECT_TRUE(rig.call(kItemsListGet, ask).ok());
    rig.now += 3600;
    auto expired = rig.call(kItemsListGet, ask);
    ASSERT_FALSE(expired.ok());
    EXPECT_EQ(expired.error().kind, ErrorKind::token_expired);
    EXPECT_NE(expired.error().message.find("21"), std::string::npos);

    Rig other;
    other.sim->revoke_access_token();
    EXPECT_EQ(kind_of(other.call(kItemsListGet, ask)), ErrorKind::token_expired);
    ASSERT_TRUE(other.sim->set_reading("token_code", "20"));
    auto as_20 = other.call(kItemsListGet, ask);
    ASSERT_FALSE(as_20.ok());
    EXPECT_NE(as_20.error().message.find("code 20"), std::string::npos);
    other.token = "";
    EXPECT_EQ(kind_of(other.call(kItemsListGet, ask)), ErrorKind::token_expired);
}

TEST(QianmiSimulator, RefreshRotatesThePairAndKillsTheOldOnes) {
    Rig rig(50, 0, seconds{3600});
    const Params ask = {{"fields", "num_iid"}, {"num_iids", "P10000"}};
    rig.now += 4000;
    EXPECT_EQ(kind_of(rig.call(kItemsListGet, ask)), ErrorKind::token_expired);
    auto pair = rig.refresh("rt-0");
    ASSERT_TRUE(pair.ok()) << pair.error().message;
    EXPECT_NE(pair->refresh_token, "rt-0");
    EXPECT_EQ(pair->expires_in, seconds{3600});
    EXPECT_EQ(pair->access_token, rig.sim->access_token());
    rig.token = pair->access_token;
    EXPECT_TRUE(rig.call(kItemsListGet, ask).ok());

    // The old refresh token is dead, and its failure says what to do.
    auto again = rig.refresh("rt-0");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::auth);
    EXPECT_NE(again.error().message.find("authorise the app again"), std::string::npos);
    // The old access token too.
    auto second = rig.refresh(pair->refresh_token);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(kind_of(rig.call(kItemsListGet, ask)), ErrorKind::token_expired);
    rig.token = second->access_token;
    EXPECT_TRUE(rig.call(kItemsListGet, ask).ok());
    EXPECT_EQ(rig.sim->refreshes(), 2);

    // The other answer form reads the same.
    ASSERT_TRUE(rig.sim->set_reading("oauth_form", "status"));
    auto third = rig.refresh(second->refresh_token);
    ASSERT_TRUE(third.ok()) << third.error().message;
    EXPECT_EQ(third->access_token, rig.sim->access_token());
    EXPECT_EQ(rig.refresh("rt-0").error().kind, ErrorKind::auth);
}

TEST(QianmiSimulator, UnderOldRefreshUntilUsedALostRefreshAnswerCanBeAskedForAgain) {
    Rig rig(50);
    ASSERT_TRUE(rig.sim->set_reading("old_refresh", "until_used"));
    const Params ask = {{"fields", "num_iid"}, {"num_iids", "P10000"}};
    auto lost = rig.refresh("rt-0");  // the answer never reaches the client
    ASSERT_TRUE(lost.ok());
    auto again = rig.refresh("rt-0");
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_NE(again->refresh_token, lost->refresh_token);
    rig.token = lost->access_token;  // replaced by the second refresh
    EXPECT_EQ(kind_of(rig.call(kItemsListGet, ask)), ErrorKind::token_expired);
    rig.token = again->access_token;
    EXPECT_TRUE(rig.call(kItemsListGet, ask).ok());
    // Once the new access token has been used, the old refresh token is dead.
    EXPECT_EQ(rig.refresh("rt-0").error().kind, ErrorKind::auth);
    EXPECT_TRUE(rig.refresh(again->refresh_token).ok());
}

TEST(QianmiSimulator, IdAndPageLimitsAre33WithTheirSubCode) {
    Rig rig;
    std::string ids;
    for (int i = 0; i < 51; ++i) ids += (i ? "," : "") + std::string("P") + std::to_string(i);
    auto too_many = rig.call(kItemsListGet, {{"fields", "num_iid"}, {"num_iids", ids}});
    ASSERT_FALSE(too_many.ok());
    EXPECT_EQ(too_many.error().kind, ErrorKind::config);
    EXPECT_NE(too_many.error().message.find("isv.invalid-paramete:num_iids"), std::string::npos);
    auto big_page =
        rig.call(kItemsAllList, {{"fields", "num_iid"}, {"page_no", "0"}, {"page_size", "51"}});
    ASSERT_FALSE(big_page.ok());
    EXPECT_NE(big_page.error().message.find("isv.invalid-paramete:page_size"), std::string::npos);
    auto order = rig.call(kItemsAllList, {{"fields", "num_iid"}, {"order_by", "modified:asc"}});
    ASSERT_FALSE(order.ok());
    EXPECT_NE(order.error().message.find("isv.invalid-paramete:order_by"), std::string::npos);
    auto no_fields = rig.call(kItemsAllList, {{"page_no", "0"}});
    ASSERT_FALSE(no_fields.ok());
    EXPECT_NE(no_fields.error().message.find("isv.missing-parameter:fields"), std::string::npos);
}

TEST(QianmiSimulator, PerMinuteBudgetAnswersTheQuotaCode) {
    Rig rig(50, 3);
    const Params ask = {{"fields", "num_iid"}, {"num_iids", "P10000"}};
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(rig.call(kItemsListGet, ask).ok());
    auto limited = rig.call(kItemsListGet, ask);
    ASSERT_FALSE(limited.ok());
    EXPECT_EQ(limited.error().kind, ErrorKind::rate_limited);
    EXPECT_EQ(limited.error().retry_after, std::chrono::milliseconds{1'000});
    ASSERT_TRUE(rig.sim->set_reading("quota_code", "35"));
    EXPECT_EQ(rig.call(kItemsListGet, ask).error().retry_after, std::chrono::milliseconds{60'000});
    rig.now += 60;
    EXPECT_TRUE(rig.call(kItemsListGet, ask).ok());
    EXPECT_EQ(kind_of(read_envelope(
                  [&] {
                      HttpResponse r;
                      r.body = rig.sim->rate_limit_response().body;
                      r.status = 200;
                      return r;
                  }(),
                  kItemsListGet)),
              ErrorKind::rate_limited);
}

TEST(QianmiSimulator, TiesComeBackInAFreshOrderOnEveryCall) {
    Rig rig(200);
    auto first = rig.page(0, 50).value();
    auto second = rig.page(0, 50).value();
    EXPECT_NE(rig.ids(first), rig.ids(second));
    // The column order itself holds: page 0 of cid:asc is the same multiset of cids.
    auto cid_of = [&](const std::vector<std::string>& ids) {
        std::multiset<std::string> cids;
        std::istringstream in(rig.sim->truth_ndjson());
        std::string line;
        std::map<std::string, std::string> by_id;
        while (std::getline(in, line)) {
            json j = json::parse(line);
            by_id[j["num_iid"].get<std::string>()] = j["cid"].get<std::string>();
        }
        for (const auto& id : ids) cids.insert(by_id.at(id));
        return cids;
    };
    EXPECT_EQ(cid_of(rig.ids(first)), cid_of(rig.ids(second)));
    ASSERT_TRUE(rig.sim->set_reading("ties", "stable"));
    EXPECT_EQ(rig.ids(rig.page(0, 50).value()), rig.ids(rig.page(0, 50).value()));
}

TEST(QianmiSimulator, ADeletionAheadShiftsTheListingBackOnePlace) {
    Rig rig(100);
    ASSERT_TRUE(rig.sim->set_reading("ties", "stable"));
    std::vector<std::string> before;
    for (int p = 0; p < 2; ++p) {
        for (const auto& id : rig.ids(rig.page(p, 10).value())) before.push_back(id);
    }
    auto page0 = rig.ids(rig.page(0, 10).value());
    ASSERT_TRUE(rig.sim->delete_item(page0[3]));
    auto page1 = rig.ids(rig.page(1, 10).value());
    // before[10] moved to page 0, which was already read: a page-number pass skips it.
    EXPECT_EQ(page1.front(), before[11]);
    std::set<std::string> seen(page0.begin(), page0.end());
    seen.insert(page1.begin(), page1.end());
    EXPECT_EQ(seen.count(before[10]), 0u);
    EXPECT_EQ(rig.page(0, 10).value().total_results, 99);
}

TEST(QianmiSimulator, FiltersNarrowTheListingToPartitionsThatFitOnePage) {
    Rig rig(400);
    // Learn the partitions from one pass that also asks for cid and brand_id.
    std::map<std::pair<std::string, std::string>, std::set<std::string>> truth;
    std::istringstream in(rig.sim->truth_ndjson());
    std::string line;
    while (std::getline(in, line)) {
        json j = json::parse(line);
        truth[{j["cid"].get<std::string>(), j["brand_id"].get<std::string>()}].insert(
            j["num_iid"].get<std::string>());
    }
    ListingQuery query;
    query.fields = "num_iid,modified,cid,brand_id";
    auto page =
        read_listing(rig.call(kItemsAllList, listing_params(query).value()).value()).value();
    ASSERT_FALSE(page.entries.empty());
    const auto& e = page.entries.front();
    EXPECT_FALSE(e.cid.empty());
    EXPECT_FALSE(e.brand_id.empty());
    const auto& expected = truth.at({e.cid, e.brand_id});
    ASSERT_LE(expected.size(), 50u);
    query.filters = {{"cid", e.cid}, {"brand_id", e.brand_id}};
    query.fields = std::string(kListingFields);
    auto part =
        read_listing(rig.call(kItemsAllList, listing_params(query).value()).value()).value();
    EXPECT_EQ(part.total_results, static_cast<std::int64_t>(expected.size()));
    auto got = rig.ids(part);
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), expected);
    query.filters = {{"stock_warn", "1"}};
    EXPECT_FALSE(listing_params(query).ok());
}

TEST(QianmiSimulator, MutateAddsEditsAndDeletesAndBumpsModified) {
    Rig rig(100);
    const auto ids_before = rig.sim->item_ids();
    rig.now += 3600;
    EXPECT_EQ(rig.sim->mutate(40), 40u);
    const auto ids_after = rig.sim->item_ids();
    std::set<std::string> a(ids_before.begin(), ids_before.end());
    std::set<std::string> b(ids_after.begin(), ids_after.end());
    std::size_t added = 0, deleted = 0;
    for (const auto& id : b) added += a.count(id) == 0;
    for (const auto& id : a) deleted += b.count(id) == 0;
    EXPECT_GT(added, 0u);
    EXPECT_GT(deleted, 0u);
    std::size_t stamped_now = 0;
    std::istringstream in(rig.sim->truth_ndjson());
    std::string line;
    while (std::getline(in, line)) {
        stamped_now += json::parse(line)["modified"] == format_timestamp(rig.clock());
    }
    EXPECT_GT(stamped_now, added);  // added and edited items
    EXPECT_TRUE(rig.sim->touch_item(ids_after.front()));
    EXPECT_FALSE(rig.sim->touch_item("nope"));
}

TEST(QianmiSimulator, BatchesReturnOnlyAllowedFieldsAndSkipUnknownIds) {
    Rig rig(30);
    const auto ids = rig.sim->item_ids();
    auto body = rig.call(kItemsListGet, batch_params({ids[0], "P-none", ids[1]}).value());
    ASSERT_TRUE(body.ok());
    auto rows = read_batch(*body).value();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_FALSE(rows[0].contains("modified"));
    EXPECT_TRUE(rows[0].contains("d2c_approve_status"));
    EXPECT_TRUE(std::holds_alternative<MappedProduct>(map_item(rows[0], rig.clock())));
    // Unknown fields: ignored by default, refused under the other reading.
    const Params with_modified = {{"fields", "num_iid,modified"}, {"num_iids", ids[0]}};
    auto ignored = rig.call(kItemsListGet, with_modified);
    ASSERT_TRUE(ignored.ok());
    EXPECT_FALSE(read_batch(*ignored).value()[0].contains("modified"));
    ASSERT_TRUE(rig.sim->set_reading("unknown_fields", "reject"));
    EXPECT_EQ(kind_of(rig.call(kItemsListGet, with_modified)), ErrorKind::config);
}

TEST(QianmiSimulator, EveryEnvelopeReadingReadsTheSame) {
    Rig rig(30);
    const auto ids = rig.sim->item_ids();
    for (const char* key : {"named", "full", "other"}) {
        ASSERT_TRUE(rig.sim->set_reading("response_key", key));
        auto body = rig.call(kItemsListGet, batch_params({ids[0], ids[1]}).value());
        ASSERT_TRUE(body.ok()) << key;
        EXPECT_EQ(read_batch(*body).value().size(), 2u) << key;
    }
    ASSERT_TRUE(rig.sim->set_reading("lone_object", "1"));
    ASSERT_TRUE(rig.sim->set_reading("scalars", "string"));
    auto one = rig.call(kItemsListGet, batch_params({ids[0]}).value());
    ASSERT_EQ(read_batch(*one).value().size(), 1u);
    EXPECT_TRUE(std::holds_alternative<MappedProduct>(map_item(read_batch(*one).value()[0], {})));
    ASSERT_TRUE(rig.sim->set_reading("omit_empty_lists", "1"));
    auto none = rig.call(kItemsListGet, batch_params({"P-none"}).value());
    EXPECT_EQ(read_batch(*none).value().size(), 0u);
    EXPECT_EQ(rig.page(0, 50).value().total_results, 30);

    for (const char* shape : {"rop", "wrapped"}) {
        for (const char* subs : {"array", "wrapped"}) {
            ASSERT_TRUE(rig.sim->set_reading("error_shape", shape));
            ASSERT_TRUE(rig.sim->set_reading("sub_errors", subs));
            ASSERT_TRUE(rig.sim->set_reading("scalars", "number"));
            auto e = rig.call(kItemsAllList, {{"fields", "num_iid"}, {"page_size", "99"}});
            ASSERT_FALSE(e.ok());
            EXPECT_EQ(e.error().kind, ErrorKind::config);
            EXPECT_NE(e.error().message.find("isv.invalid-paramete:page_size"), std::string::npos)
                << shape << " " << subs;
        }
    }
    EXPECT_FALSE(rig.sim->set_reading("ties", "random"));
    EXPECT_FALSE(rig.sim->set_reading("nonsense", "1"));
}

TEST(QianmiSimulator, ItemGetCarriesTheSkus) {
    Rig rig(20);
    const auto id = rig.sim->item_ids()[4];
    auto body = rig.call(kItemGet, item_params(id));
    ASSERT_TRUE(body.ok());
    auto item = read_item(*body).value();
    ASSERT_TRUE(item);
    auto rows = map_item_skus(*item, std::nullopt);
    ASSERT_FALSE(rows.empty());
    for (const auto& row : rows) {
        ASSERT_TRUE(std::holds_alternative<MappedProduct>(row));
        EXPECT_EQ(std::get<MappedProduct>(row).product.parent_external_id, id);
    }
    auto gone = rig.call(kItemGet, item_params("P-none"));
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(read_item(*gone).value());
}

TEST(QianmiSimulator, ControlRoutesCountRequestsAndSetReadings) {
    Rig rig(20);
    (void)rig.call(kItemGet, item_params("P10000"));
    (void)rig.call(kItemGet, item_params("P10000"));
    (void)rig.page(0, 10);
    (void)rig.refresh("rt-0");
    SimRequest stats;
    stats.method = "GET";
    stats.path = "/__sim/qianmi/stats";
    json s = json::parse(rig.sim->control(stats).body);
    EXPECT_EQ(s["calls"][std::string(kItemGet)], 2);
    EXPECT_EQ(s["calls"][std::string(kItemsAllList)], 1);
    EXPECT_EQ(s["calls"]["/token"], 1);
    EXPECT_EQ(s["refreshes"], 1);

    SimRequest set;
    set.method = "POST";
    set.path = "/__sim/qianmi/readings";
    set.query = {{"ties", "stable"}, {"quota_code", "34"}};
    EXPECT_EQ(json::parse(rig.sim->control(set).body)["quota_code"], 34);
    set.query = {{"ties", "shuffle"}, {"quota_code", "99"}};
    EXPECT_EQ(rig.sim->control(set).status, 400);
    EXPECT_EQ(rig.sim->readings().ties, "stable");  // all or nothing

    SimRequest revoke;
    revoke.method = "POST";
    revoke.path = "/__sim/qianmi/revoke";
    EXPECT_EQ(rig.sim->control(revoke).status, 200);
    rig.token = rig.sim->access_token();
    EXPECT_EQ(kind_of(rig.call(kItemGet, item_params("P10000"))), ErrorKind::token_expired);

    SimRequest del;
    del.method = "POST";
    del.path = "/__sim/qianmi/delete";
    del.query = {{"num_iid", "P10000"}};
    EXPECT_EQ(rig.sim->control(del).status, 200);
    EXPECT_EQ(rig.sim->control(del).status, 404);
    SimRequest unknown;
    unknown.method = "GET";
    unknown.path = "/__sim/qianmi/nothing";
    EXPECT_EQ(rig.sim->control(unknown).status, 404);
}

}  // namespace
}  // namespace csync::qianmi
