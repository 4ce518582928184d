// The stock stream driven in process against the simulator: the adapter's real requests reach
// the simulator's real verification, paging, calc and acknowledgement logic.
#include <set>

#include <gtest/gtest.h>

#include "core/retry_policy.hpp"

#include "csync/domain/decimal.hpp"
#include "tests_support.hpp"
#include "wangdiantong/stock_stream.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {
namespace {

using nlohmann::json;
using testing::SimRig;

std::map<std::string, std::string> stored_of(const std::vector<Page>& pages) {
    std::map<std::string, std::string> out;
    for (const Page& p : pages) {
        for (const StockLevel& l : p.records.stock_levels) out[l.external_id] = l.quantity.text();
    }
    return out;
}

std::map<std::string, std::string> canonical(std::map<std::string, std::string> m) {
    for (auto& [id, q] : m) q = Decimal::parse(q)->text();
    return m;
}

std::string method_of(const HttpRequest& r) {
    auto q = parse_form(r.url.substr(r.url.find('?') + 1));
    for (const auto& [k, v] : q) {
        if (k == "method") return v;
    }
    return {};
}

TEST(WangdiantongStockStream, FullCycleStoresTheTruthAndAcknowledgesEveryId) {
    SimRig rig(237, true, 50, 20);
    auto stream = rig.stream();
    auto cycle = rig.run_cycle(*stream, nullptr);
    ASSERT_FALSE(cycle.error) << cycle.error->message;
    EXPECT_EQ(cycle.pages.size(), 5u);  // 50+50+50+50+37: the short list ends the cycle
    EXPECT_TRUE(cycle.pages.back().cycle_done);
    EXPECT_EQ(stored_of(cycle.pages), canonical(rig.truth_stock()));
    EXPECT_EQ(rig.sim->waiting(), 0u);
    EXPECT_EQ(rig.sim->acks_accepted(), 237u);
    // Batches of 20: three per full page of 50, two for the last 37.
    EXPECT_EQ(rig.sim->calls().at(std::string(kBatchCalcStock)), 4u * 3u + 2u);
    EXPECT_EQ(rig.sim->calls().count(std::string(kCalcStock)), 0u);
    // The cursor: the position of the last list.
    ASSERT_TRUE(cycle.cursor.is_object());
    EXPECT_EQ(cycle.cursor.size(), 1u);
    EXPECT_TRUE(cycle.cursor["position"].is_number_integer());
    // One list call, three batch calcs, then one acknowledgement per id (after_commit adds them).
    EXPECT_EQ(cycle.pages[0].requests, 1 + 3 + 50);

    // The next cycle finds nothing and keeps the cursor.
    auto next = rig.run_cycle(*stream, cycle.cursor);
    ASSERT_EQ(next.pages.size(), 1u);
    EXPECT_TRUE(next.pages[0].records.stock_levels.empty());
    EXPECT_EQ(next.cursor, cycle.cursor);
}

TEST(WangdiantongStockStream, RecordsAreExactAndCarryTheChangeCountAndUtcTime) {
    SimRig rig(40, true, 50, 100);
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok()) << page.error().message;
    ASSERT_EQ(page->records.stock_levels.size(), 40u);
    for (const StockLevel& l : page->records.stock_levels) {
        auto rec = json::parse(l.raw_json);
        EXPECT_EQ(l.external_id, std::to_string(rec["rec_id"].get<long long>()));
        EXPECT_EQ(l.change_count, rec["stock_change_count"].get<long long>());
        EXPECT_EQ(l.sku, rec["match_code"].get<std::string>());
        EXPECT_EQ(l.quantity.text(), Decimal::parse(rec["syn_stock"].get<std::string>())->text());
        EXPECT_EQ(l.quantity.text().find(".0"), std::string::npos) << "not canonical";
        ASSERT_TRUE(l.source_modified_at.has_value());
        // Beijing wall time -> UTC: 8 hours earlier.
        const std::string local = rec["modified"].get<std::string>();
        EXPECT_EQ(format_utc_iso(*l.source_modified_at + std::chrono::hours{8}).substr(11, 8),
                  local.substr(11, 8));
    }
    EXPECT_TRUE(page->cycle_done);  // 40 < 50
}

TEST(WangdiantongStockStream, ReapplyingARedeliveredIdYieldsTheIdenticalRecord) {
    SimRig rig(30, /*ack=*/false, 50, 10);
    auto stream = rig.stream();
    auto first = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(rig.ack(*stream, *first).ok());
    EXPECT_EQ(rig.sim->waiting(), 30u);
    rig.clock.advance(std::chrono::seconds{301});  // the lease runs out: re-delivered
    auto second = rig.fetch(*stream, first->next_cursor);
    ASSERT_TRUE(second.ok()) << second.error().message;
    ASSERT_EQ(second->records.stock_levels.size(), 30u);
    std::map<std::string, std::string> raw;
    for (const auto& l : first->records.stock_levels) raw[l.external_id] = l.raw_json;
    for (const auto& l : second->records.stock_levels) {
        EXPECT_EQ(raw[l.external_id], l.raw_json) << l.external_id;
    }
}

TEST(WangdiantongStockStream, AckOffSendsNoAcknowledgementAndLeavesIdsWaiting) {
    SimRig rig(60, /*ack=*/false, 25, 10);
    auto stream = rig.stream();
    auto cycle = rig.run_cycle(*stream, nullptr);
    ASSERT_FALSE(cycle.error);
    EXPECT_EQ(stored_of(cycle.pages).size(), 60u);
    EXPECT_EQ(rig.sim->waiting(), 60u);
    EXPECT_EQ(rig.sim->calls().count(std::string(kSyncSuccess)), 0u);
    EXPECT_EQ(rig.sim->calls().count(std::string(kSyncFail)), 0u);
    for (const Page& p : cycle.pages) {
        EXPECT_TRUE(p.ack["acks"].empty());
        EXPECT_FALSE(p.records.durable) << "nothing is acknowledged: the WAL's usual sync will do";
    }
}

TEST(WangdiantongStockStream, StockChangedBetweenCalcAndAckStaysWaitingAndIsPickedUpNextCycle) {
    SimRig rig(30, true, 50, 10);
    auto stream = rig.stream();
    std::int64_t moved = 0;
    rig.http->before_call = [&](int, const HttpRequest& req) {
        if (moved == 0 && method_of(req) == kSyncSuccess) {
            moved = json::parse(req.body)[0].get<std::int64_t>();
            ASSERT_TRUE(rig.sim->change_stock(moved));  // the ERP's stock moves under us
        }
    };
    auto cycle = rig.run_cycle(*stream, nullptr);
    ASSERT_FALSE(cycle.error);
    ASSERT_NE(moved, 0);
    EXPECT_EQ(rig.sim->waiting(), 1u);
    EXPECT_TRUE(rig.sim->is_waiting(moved));
    EXPECT_EQ(rig.sim->acks_stale(), 1u);
    const auto stored_before = stored_of(cycle.pages);

    rig.http->before_call = nullptr;
    rig.clock.advance(std::chrono::seconds{5});
    auto next = rig.run_cycle(*stream, cycle.cursor);
    ASSERT_FALSE(next.error);
    auto stored = stored_of(next.pages);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored.begin()->first, std::to_string(moved));
    EXPECT_EQ(next.pages[0].records.stock_levels[0].change_count,
              *rig.sim->stock_change_count(moved));
    EXPECT_EQ(stored.begin()->second, canonical(rig.truth_stock())[std::to_string(moved)]);
    EXPECT_NE(stored.begin()->second, stored_before.at(std::to_string(moved)));
    EXPECT_EQ(rig.sim->waiting(), 0u);
}

TEST(WangdiantongStockStream, RefusedBatchFallsBackToCalcStockPerId) {
    SimRig rig(25, true, 50, 10);
    rig.sim->set_batch_enabled(false);
    auto stream = rig.stream();
    auto cycle = rig.run_cycle(*stream, nullptr);
    ASSERT_FALSE(cycle.error) << cycle.error->message;
    EXPECT_EQ(stored_of(cycle.pages), canonical(rig.truth_stock()));
    EXPECT_EQ(rig.sim->calls().at(std::string(kBatchCalcStock)), 1u);  // refused once, remembered
    EXPECT_EQ(rig.sim->calls().at(std::string(kCalcStock)), 25u);
    EXPECT_EQ(rig.sim->waiting(), 0u);
}

TEST(WangdiantongStockStream, PerIdCalcFailureIsDeadLetteredAndReportedWithSyncFail) {
    SimRig rig(20, true, 50, 10);
    const std::int64_t bad = rig.sim->rec_ids()[3];
    rig.sim->set_calc_fail(bad, true);
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->records.stock_levels.size(), 19u);
    ASSERT_EQ(page->records.dead_letters.size(), 1u);
    EXPECT_EQ(page->records.dead_letters[0].record_key, "rec_id=" + std::to_string(bad));
    EXPECT_NE(page->records.dead_letters[0].error.find("已停用"), std::string::npos);
    ASSERT_TRUE(rig.ack(*stream, *page).ok());
    EXPECT_EQ(rig.sim->sync_fails(), 1u);
    EXPECT_EQ(rig.sim->acks_accepted(), 19u);
    EXPECT_TRUE(rig.sim->is_waiting(bad));  // retried by the ERP later
    EXPECT_EQ(rig.sim->waiting(), 1u);

    // calcStock path too.
    SimRig single(12, true, 50, 10);
    single.sim->set_batch_enabled(false);
    single.sim->set_calc_fail(single.sim->rec_ids()[0], true);
    auto s2 = single.stream();
    auto p2 = single.fetch(*s2, nullptr);
    ASSERT_TRUE(p2.ok()) << p2.error().message;
    EXPECT_EQ(p2->records.stock_levels.size(), 11u);
    EXPECT_EQ(p2->records.dead_letters.size(), 1u);
}

// Without a position there is no way on: the page is stored and the cycle ends, instead of the
// same page repeating (with ack off, up to the runner's page cap).
TEST(WangdiantongStockStream, MissingPositionStoresThePageAndEndsTheCycle) {
    SimRig rig(30, /*ack=*/false, 10, 10);
    rig.sim->set_omit_position(true);
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, json{{"position", 5}, {"in_cycle", true}});
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->records.stock_levels.size(), 10u);
    EXPECT_EQ(page->next_cursor, (json{{"position", 0}}));
    EXPECT_TRUE(page->cycle_done);

    auto cycle = rig.run_cycle(*stream, nullptr);
    ASSERT_FALSE(cycle.error);
    EXPECT_EQ(cycle.pages.size(), 1u);
}

// With ack off, ids never leave the queue; under an inclusive position a page whose ids all share
// one disable_syn_until comes back unchanged: the cycle ends instead of repeating it.
TEST(WangdiantongStockStream, SamePositionWithNothingNewEndsTheCycle) {
    SimRig rig(40, /*ack=*/false, 10, 10);
    rig.sim->set_lease_reading(false);
    for (std::int64_t id : rig.sim->rec_ids()) rig.sim->change_stock(id);  // all at "now"
    auto stream = rig.stream();
    auto cycle = rig.run_cycle(*stream, nullptr);
    ASSERT_FALSE(cycle.error);
    EXPECT_LE(cycle.pages.size(), 2u);
    EXPECT_TRUE(cycle.pages.back().cycle_done);
    EXPECT_EQ(cycle.cursor, (json{{"position", 0}}));
}

// A calcStock answer is checked against the id asked for: a record for another id, or one
// without an id, is the asked id's failure, never stored under it.
TEST(WangdiantongStockStream, CalcStockAnswerForAnotherIdIsNeverStoredUnderTheAskedOne) {
    SimRig rig(12, true, 50, 10);
    rig.sim->set_batch_enabled(false);
    const std::int64_t asked = rig.sim->rec_ids()[2];
    const std::int64_t other = rig.sim->rec_ids()[7];
    const std::int64_t bare = rig.sim->rec_ids()[4];
    rig.http->after_call = [&](const HttpRequest& req, HttpResponse& resp) {
        if (method_of(req) != kCalcStock) return;
        const auto id = json::parse(req.body)[0].get<std::int64_t>();
        auto doc = json::parse(resp.body);
        if (id == asked) doc["data"]["rec_id"] = other;
        if (id == bare) doc["data"].erase("rec_id");
        resp.body = doc.dump();
    };
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok()) << page.error().message;
    std::map<std::string, int> stored;
    for (const auto& l : page->records.stock_levels) ++stored[l.external_id];
    EXPECT_EQ(page->records.stock_levels.size(), 10u);
    EXPECT_EQ(stored.count(std::to_string(asked)), 0u);
    EXPECT_EQ(stored.count(std::to_string(bare)), 0u);
    EXPECT_EQ(stored[std::to_string(other)], 1) << "the other id once, from its own answer";
    ASSERT_EQ(page->records.dead_letters.size(), 2u);
    std::set<std::string> keys;
    for (const auto& d : page->records.dead_letters) keys.insert(d.record_key);
    EXPECT_EQ(keys, (std::set<std::string>{"rec_id=" + std::to_string(asked),
                                           "rec_id=" + std::to_string(bare)}));
    ASSERT_TRUE(rig.ack(*stream, *page).ok());
    EXPECT_TRUE(rig.sim->is_waiting(asked));
    EXPECT_EQ(rig.sim->sync_fails(), 2u);
}

// `data` is optional in the envelope; an empty queue answered with {"status":0} alone ends the
// cycle like an empty list.
TEST(WangdiantongStockStream, EmptyQueueWithoutDataEndsTheCycle) {
    SimRig rig(5, true, 10, 10);
    rig.http->after_call = [&](const HttpRequest& req, HttpResponse& resp) {
        if (method_of(req) == kWaitList) resp.body = R"({"status":0})";
    };
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_TRUE(page->cycle_done);
    EXPECT_TRUE(page->records.stock_levels.empty());
}

TEST(WangdiantongStockStream, FetchPageHasNoAcknowledgementSideEffect) {
    SimRig rig(15, true, 50, 10);
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(rig.sim->calls().count(std::string(kSyncSuccess)), 0u);
    EXPECT_EQ(rig.sim->waiting(), 15u);
    EXPECT_EQ(page->ack["acks"].size(), 15u);
    EXPECT_TRUE(page->records.durable) << "an acknowledged page is synced to disk when it commits";
    for (const HttpRequest& r : rig.http->requests) {
        EXPECT_EQ(r.connection_key, "wangdiantong/sid=t-sid");
        EXPECT_NE(r.url.find("salt=t-salt%3Ax&"), std::string::npos) << "the colon is encoded";
    }
}

TEST(WangdiantongStockStream, ErrorsAreTypedAndNeverCarryASecret) {
    SimRig rig(15, true, 50, 10);
    auto stream = rig.stream();

    rig.sim->set_clock_offset(-400);
    auto skew = rig.fetch(*stream, nullptr);
    ASSERT_FALSE(skew.ok());
    EXPECT_EQ(skew.error().kind, ErrorKind::config);
    EXPECT_NE(skew.error().message.find("clock skew"), std::string::npos);
    EXPECT_NE(skew.error().message.find("400"), std::string::npos) << skew.error().message;
    rig.sim->set_clock_offset(0);

    rig.http->fail_at(rig.http->calls() + 1,
                      Error::transient("connect to http://sim.invalid/openapi?salt=t-salt%3Ax "
                                       "failed, key t-key"));
    auto net = rig.fetch(*stream, nullptr);
    ASSERT_FALSE(net.ok());
    EXPECT_EQ(net.error().kind, ErrorKind::transient);
    for (const char* s : {"t-salt", "t-key", "t-sec"}) {
        EXPECT_EQ(net.error().message.find(s), std::string::npos) << net.error().message;
    }

    SimRig wrong(5);
    wrong.account.credentials["appsecret"] = "t-sec:other-salt";
    wrong.adapter = registration().make_adapter(AdapterDeps{
        wrong.account, *wrong.http, wrong.clock, TimeZone::from_name("Asia/Shanghai").value()});
    auto ws = wrong.stream();
    auto denied = wrong.fetch(*ws, nullptr);
    ASSERT_FALSE(denied.ok());
    EXPECT_EQ(denied.error().kind, ErrorKind::auth);
    EXPECT_EQ(denied.error().message.find("other-salt"), std::string::npos);

    SimRig limited(5);
    auto ls = limited.stream();
    limited.http->before_call = nullptr;
    SimResponse rl = limited.sim->rate_limit_response();
    HttpResponse hr{200, rl.headers, rl.body};
    auto typed = read_envelope(hr, testing::kSimNow);
    EXPECT_EQ(typed.error().kind, ErrorKind::rate_limited);
}

TEST(WangdiantongStockStream, AcknowledgementFailureIsReportedAndTheIdIsRedelivered) {
    SimRig rig(12, true, 50, 10);
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok());
    rig.http->fail_at(rig.http->calls() + 2, Error::transient("connection reset"));
    Status acked = rig.ack(*stream, *page);
    ASSERT_FALSE(acked.ok());
    EXPECT_EQ(acked.error().kind, ErrorKind::transient);
    EXPECT_NE(acked.error().message.find("1 of 12"), std::string::npos) << acked.error().message;
    EXPECT_EQ(rig.sim->waiting(), 1u);
    rig.clock.advance(std::chrono::seconds{301});
    auto again = rig.fetch(*stream, page->next_cursor);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->records.stock_levels.size(), 1u);
    ASSERT_TRUE(rig.ack(*stream, *again).ok());
    EXPECT_EQ(rig.sim->waiting(), 0u);
}

TEST(WangdiantongStockStream, ARateLimitedAcknowledgementIsRetriedAndTheRestAreStillSent) {
    SimRig rig(12, true, 50, 10);
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok());
    const std::int64_t fetch_requests = page->requests;
    const int before = rig.http->calls();
    // The third acknowledgement meets the rate limit twice (once with a wait hint), then passes.
    rig.http->fail_at(before + 3,
                      Error::rate_limited("too many requests", std::chrono::seconds{2}));
    rig.http->fail_at(before + 4, Error::rate_limited("too many requests"));
    Status acked = rig.ack(*stream, *page);
    ASSERT_TRUE(acked.ok()) << acked.error().message;
    EXPECT_EQ(rig.sim->acks_accepted(), 12u);
    EXPECT_EQ(rig.sim->waiting(), 0u);
    // Every call is counted, the refused ones too.
    EXPECT_EQ(page->requests, fetch_requests + 12 + 2);
    const auto sleeps = rig.clock.sleeps();
    ASSERT_EQ(sleeps.size(), 2u);
    EXPECT_GE(sleeps[0], std::chrono::seconds{2});  // the platform's hint is a floor
}

TEST(WangdiantongStockStream, ARateLimitOutlastingItsRetriesCostsOnlyThatAcknowledgement) {
    SimRig rig(12, true, 50, 10);
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok());
    const int before = rig.http->calls();
    const int attempts = RetryPolicy{}.options().max_attempts;
    // Every attempt of the second id's acknowledgement is refused (several acknowledgements
    // are in flight at once, so the id, not a call number, picks it).
    const std::string refused_body =
        "[" + std::to_string(page->ack["acks"][1]["rec_id"].get<std::int64_t>()) + ",";
    rig.http->before_call = [&](int call, const HttpRequest& request) {
        if (request.body.rfind(refused_body, 0) == 0) {
            rig.http->fail_at(call, Error::rate_limited("too many requests"));
        }
    };
    Status acked = rig.ack(*stream, *page);
    ASSERT_FALSE(acked.ok());
    EXPECT_EQ(acked.error().kind, ErrorKind::rate_limited);
    EXPECT_NE(acked.error().message.find("1 of 12"), std::string::npos) << acked.error().message;
    // The other eleven were sent and accepted; the refused one stays waiting for the next cycle.
    EXPECT_EQ(rig.sim->acks_accepted(), 11u);
    EXPECT_EQ(rig.sim->waiting(), 1u);
    EXPECT_EQ(rig.http->calls(), before + 11 + attempts);
}

TEST(WangdiantongStockStream, ARequestTheHttpClientSentAgainIsCountedTwice) {
    SimRig rig(12, true, 50, 10);
    auto stream = rig.stream();
    // The list call's connection was dropped once and the client sent it again on a fresh one:
    // the platform may have seen both.
    rig.http->after_call = [&](const HttpRequest& request, HttpResponse& response) {
        if (request.url.find(std::string(kWaitList)) != std::string::npos) response.resent = 1;
    };
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok());
    rig.http->after_call = nullptr;
    EXPECT_EQ(page->requests, 2 + 2);  // the list (sent twice) and two batch calcs of ten
    // An acknowledgement that failed after its resend cost two requests too.
    Error reset = Error::transient("connection reset by peer");
    reset.resent = 1;
    rig.http->fail_at(rig.http->calls() + 1, reset);
    const std::int64_t before = page->requests;
    Status acked = rig.ack(*stream, *page);
    ASSERT_FALSE(acked.ok());
    EXPECT_EQ(page->requests, before + 12 + 1);
}

TEST(WangdiantongStockStream, PageSizeIsClampedToTheCountRange) {
    SimRig rig(30, true, /*page_size=*/3, 10);
    auto stream = rig.stream();
    auto page = rig.fetch(*stream, nullptr);
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_EQ(page->records.stock_levels.size(), 10u);
    EXPECT_EQ(rig.http->requests.front().body, "[10,0]");
}

}  // namespace
}  // namespace csync::wangdiantong

namespace csync::wangdiantong {
namespace {

TEST(WangdiantongSpec, DeclaresTheStockStreamItsOptionsAndTheAckOption) {
    const PlatformSpec& spec = registration().spec();
    EXPECT_EQ(spec.name, "wangdiantong");
    EXPECT_EQ(spec.default_timezone, "Asia/Shanghai");
    EXPECT_EQ(spec.required_credentials, (std::vector<std::string>{"sid", "key", "appsecret"}));
    const StreamSpec* stock = spec.find_stream("stock");
    ASSERT_NE(stock, nullptr);
    EXPECT_EQ(stock->default_page_size, 500);
    EXPECT_EQ(stock->max_page_size, 5000);
    ASSERT_EQ(stock->options.size(), 1u);
    EXPECT_EQ(stock->options[0].name, "calc_batch_size");
    EXPECT_EQ(stock->options[0].type, OptionType::integer);
    ASSERT_EQ(spec.account_options.size(), 1u);
    EXPECT_EQ(spec.account_options[0].name, "ack");
    EXPECT_EQ(spec.account_options[0].type, OptionType::boolean);
    EXPECT_EQ(spec.account_options[0].default_value, "true");

    AccountConfig account;
    StreamConfig stream;
    auto defaults = stock_stream_options(account, stream);
    EXPECT_EQ(defaults.count, 500);
    EXPECT_TRUE(defaults.ack);
    stream.page_size = 9000;
    stream.options["calc_batch_size"] = "250";
    account.options["ack"] = "false";
    auto set = stock_stream_options(account, stream);
    EXPECT_EQ(set.count, 5000);
    EXPECT_EQ(set.calc_batch_size, 250u);
    EXPECT_FALSE(set.ack);
}

}  // namespace
}  // namespace csync::wangdiantong
