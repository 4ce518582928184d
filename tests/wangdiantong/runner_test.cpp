// The stock stream under the real stream runner (in-memory store, simulator in process): a page
// whose commit fails is never acknowledged, its ids come back once their lease ran out, and the
// re-delivered ids are applied exactly once.
#include <chrono>

#include <gtest/gtest.h>

#include "core/db_executor.hpp"
#include "core/stop_signal.hpp"
#include "core/stream_runner.hpp"
#include "core/sync_metrics.hpp"
#include "core/token_bucket.hpp"
#include "csync/domain/decimal.hpp"
#include "fakes/memory_store.hpp"
#include "tests_support.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {
namespace {

using namespace std::chrono_literals;

struct RunnerRig {
    testing::SimRig rig;
    testing::MemoryStore store;
    DbExecutor db;
    testing::FakeRandom random;
    TokenBucket bucket{rig.clock, RateLimitConfig{1e9, 1e9}};
    StopSignal stop{rig.io.get_executor()};
    SyncMetrics metrics;
    StreamSyncPtr stream;
    const StreamKey key{"wdt-test", "stock"};

    explicit RunnerRig(std::size_t records) : rig(records, true, 40, 15) {
        (void)store.register_account("wdt-test", "wangdiantong");
        stream = rig.stream();
    }

    CycleOutcome cycle() {
        StreamRunner runner(StreamRunnerDeps{.key = key,
                                             .sync = *stream,
                                             .store = store,
                                             .db = db,
                                             .clock = rig.clock,
                                             .random = random,
                                             .bucket = bucket,
                                             .stop = stop,
                                             .metrics = metrics,
                                             .retry = RetryPolicy{},
                                             .logger = log::Logger{},
                                             .max_pages_per_cycle = 1000});
        return testing::run_coro(rig.io, runner.run_cycle());
    }

    std::map<std::string, std::string> stored() const {
        std::map<std::string, std::string> out;
        for (const auto& l : store.stock_levels("wdt-test")) out[l.external_id] = l.quantity.text();
        return out;
    }
    std::map<std::string, std::string> truth() {
        auto t = rig.truth_stock();
        for (auto& [id, q] : t) q = Decimal::parse(q)->text();
        return t;
    }
};

TEST(WangdiantongUnderTheRunner, FailedCommitIsNotAcknowledgedAndIsRedeliveredOnce) {
    RunnerRig r(130);
    r.store.fail_apply_at(2);  // the second page's transaction rolls back
    CycleOutcome first = r.cycle();
    ASSERT_TRUE(first.error.has_value());
    EXPECT_EQ(first.error->kind, ErrorKind::storage);
    EXPECT_EQ(first.summary.stats.inserted, 40);
    EXPECT_EQ(r.rig.sim->waiting(), 90u);  // page 1 acknowledged, page 2 listed but not acked
    EXPECT_EQ(r.rig.sim->acks_accepted(), 40u);

    // Within the lease the failed page's ids are not handed out again: the rest are.
    CycleOutcome second = r.cycle();
    ASSERT_FALSE(second.error.has_value()) << second.error->message;
    EXPECT_EQ(second.summary.stats.inserted, 50);
    EXPECT_EQ(r.rig.sim->waiting(), 40u);

    r.rig.clock.advance(301s);  // the lease of the rolled-back page ran out
    CycleOutcome third = r.cycle();
    ASSERT_FALSE(third.error.has_value()) << third.error->message;
    EXPECT_TRUE(third.completed);
    EXPECT_EQ(third.summary.stats.inserted, 40);
    EXPECT_EQ(third.summary.stats.updated, 0);
    EXPECT_EQ(r.rig.sim->waiting(), 0u);
    EXPECT_EQ(r.stored(), r.truth());
}

TEST(WangdiantongUnderTheRunner, CrashBeforeAckReappliesNothingAndChangesAreUpdates) {
    RunnerRig r(90);
    r.rig.account.options["ack"] = "false";  // stands for a crash right after each commit
    r.stream = r.rig.stream();
    ASSERT_FALSE(r.cycle().error.has_value());
    EXPECT_EQ(r.stored().size(), 90u);
    EXPECT_EQ(r.rig.sim->waiting(), 90u);

    r.rig.account.options["ack"] = "true";
    r.stream = r.rig.stream();
    r.rig.clock.advance(301s);
    CycleOutcome again = r.cycle();
    ASSERT_FALSE(again.error.has_value());
    EXPECT_EQ(again.summary.stats.inserted, 0);
    EXPECT_EQ(again.summary.stats.updated, 0);
    EXPECT_EQ(again.summary.stats.unchanged, 90);
    EXPECT_EQ(r.rig.sim->waiting(), 0u);

    r.rig.clock.advance(5s);
    EXPECT_EQ(r.rig.sim->mutate(7), 7u);
    CycleOutcome changed = r.cycle();
    ASSERT_FALSE(changed.error.has_value());
    EXPECT_EQ(changed.summary.stats.updated, 7);
    EXPECT_EQ(changed.summary.stats.inserted, 0);
    EXPECT_EQ(r.stored(), r.truth());
    EXPECT_EQ(r.rig.sim->waiting(), 0u);
}

}  // namespace
}  // namespace csync::wangdiantong
