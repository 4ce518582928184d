// The lease table against a real PostgreSQL (CSYNC_TEST_PG_DSN, started by scripts/test): leases
// spread, expire to another replica with a new fencing token, and are never taken twice.

#include "replica/pg_lease_table.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "replica_pg_fixture.hpp"

namespace csync::replica {
namespace {

using namespace std::chrono_literals;

class PgLeaseTableTest : public ::testing::Test {
  protected:
    void SetUp() override {
        db_ = test::PgSchema::create();
        if (!db_) GTEST_SKIP() << test::PgSchema::skip_reason();
        for (int i = 0; i < 6; ++i) accounts_.push_back("acct-" + std::to_string(i));
    }

    std::unique_ptr<PgLeaseTable> replica(const std::string& id, std::chrono::milliseconds lease) {
        auto t = PgLeaseTable::open(db_->dsn(), {id, "testhost", 1}, lease);
        EXPECT_TRUE(t.ok()) << t.error().describe();
        return std::move(t.value());
    }

    static std::set<std::string> names(const std::vector<HeldLease>& leases) {
        std::set<std::string> out;
        for (const auto& l : leases) out.insert(l.account);
        return out;
    }

    std::unique_ptr<test::PgSchema> db_;
    std::vector<std::string> accounts_;
};

TEST_F(PgLeaseTableTest, ASecondReplicaGetsTheSurplusTheFirstGivesBack) {
    auto a = replica("a", 30s);
    auto b = replica("b", 30s);
    auto ra = a->renew(accounts_);
    ASSERT_TRUE(ra.ok()) << ra.error().describe();
    EXPECT_EQ(ra->live_replicas, 1u);
    auto plan = plan_leases(ra->held, accounts_.size(), ra->live_replicas);
    auto taken = a->acquire(accounts_, plan.acquire);
    ASSERT_TRUE(taken.ok()) << taken.error().describe();
    EXPECT_EQ(taken->size(), 6u);
    for (const auto& l : *taken) EXPECT_EQ(l.token, 1);

    auto rb = b->renew(accounts_);
    ASSERT_TRUE(rb.ok());
    EXPECT_EQ(rb->live_replicas, 2u);
    auto none = b->acquire(accounts_, fair_share(6, 2));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty()) << "every lease is held and unexpired";

    ra = a->renew(accounts_);
    ASSERT_TRUE(ra.ok());
    EXPECT_EQ(ra->held.size(), 6u);
    plan = plan_leases(ra->held, accounts_.size(), ra->live_replicas);
    ASSERT_EQ(plan.release.size(), 3u);
    for (const auto& account : plan.release) {
        auto it = std::find_if(ra->held.begin(), ra->held.end(),
                               [&](const HeldLease& h) { return h.account == account; });
        ASSERT_TRUE(a->release(account, it->token).ok());
    }
    auto got = b->acquire(accounts_, 3);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(names(*got), std::set<std::string>(plan.release.begin(), plan.release.end()));
    for (const auto& l : *got) EXPECT_EQ(l.token, 2) << "each acquisition bumps the token";
    EXPECT_EQ(a->renew(accounts_)->held.size(), 3u);
}

TEST_F(PgLeaseTableTest, AnExpiredLeaseGoesToAnotherReplicaWithANewToken) {
    auto a = replica("a", 1000ms);
    auto b = replica("b", 1000ms);
    ASSERT_TRUE(a->renew(accounts_).ok());
    ASSERT_EQ(a->acquire(accounts_, 6)->size(), 6u);
    ASSERT_TRUE(b->renew(accounts_).ok());
    EXPECT_TRUE(b->acquire(accounts_, 6)->empty());
    std::this_thread::sleep_for(1200ms);  // `a` paused: no renewal
    auto rb = b->renew(accounts_);
    ASSERT_TRUE(rb.ok());
    EXPECT_EQ(rb->live_replicas, 1u) << "a's replica row expired with its leases";
    auto taken = b->acquire(accounts_, 6);
    ASSERT_TRUE(taken.ok());
    ASSERT_EQ(taken->size(), 6u);
    for (const auto& l : *taken) EXPECT_EQ(l.token, 2);
    auto ra = a->renew(accounts_);
    ASSERT_TRUE(ra.ok());
    EXPECT_TRUE(ra->held.empty()) << "a late renewal cannot take back what expired";
}

TEST_F(PgLeaseTableTest, ConcurrentAcquisitionsNeverTakeTheSameAccount) {
    std::vector<std::string> many;
    for (int i = 0; i < 40; ++i) many.push_back("acct-" + std::to_string(i));
    std::vector<std::unique_ptr<PgLeaseTable>> replicas;
    for (int r = 0; r < 4; ++r) replicas.push_back(replica("r" + std::to_string(r), 30s));
    std::vector<std::vector<HeldLease>> got(replicas.size());
    ASSERT_TRUE(replicas[0]->renew(many).ok());
    std::vector<std::thread> threads;
    for (std::size_t r = 0; r < replicas.size(); ++r) {
        threads.emplace_back([&, r] {
            for (int round = 0; round < 5; ++round) {
                auto t = replicas[r]->acquire(many, 3);
                if (t.ok()) got[r].insert(got[r].end(), t->begin(), t->end());
            }
        });
    }
    for (auto& t : threads) t.join();
    std::set<std::string> seen;
    std::size_t total = 0;
    for (const auto& g : got) {
        total += g.size();
        for (const auto& l : g) EXPECT_TRUE(seen.insert(l.account).second) << l.account;
    }
    EXPECT_EQ(total, seen.size());
    EXPECT_EQ(total, 40u) << "4 replicas x 5 rounds x 3 cover all 40 accounts";
}

TEST_F(PgLeaseTableTest, LeavingGivesEveryLeaseBackAndTheHistoryShowsEachChange) {
    auto a = replica("a", 30s);
    ASSERT_TRUE(a->renew(accounts_).ok());
    ASSERT_EQ(a->acquire(accounts_, 6)->size(), 6u);
    ASSERT_TRUE(a->leave().ok());
    auto b = replica("b", 30s);
    auto rb = b->renew(accounts_);
    ASSERT_TRUE(rb.ok());
    EXPECT_EQ(rb->live_replicas, 1u);
    EXPECT_EQ(b->acquire(accounts_, 6)->size(), 6u);

    pqxx::connection c(db_->dsn());
    pqxx::work tx(c);
    auto rows = tx.exec(
        "SELECT owner, event, count(*) FROM lease_events GROUP BY owner, event ORDER BY 1, 2");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0][0].as<std::string>() + "/" + rows[0][1].as<std::string>(), "a/acquired");
    EXPECT_EQ(rows[1][0].as<std::string>() + "/" + rows[1][1].as<std::string>(), "a/released");
    EXPECT_EQ(rows[2][0].as<std::string>() + "/" + rows[2][1].as<std::string>(), "b/acquired");
    for (const auto& r : rows) EXPECT_EQ(r[2].as<int>(), 6);
}

TEST_F(PgLeaseTableTest, AnUnreachableServerIsAClearError) {
    auto t = PgLeaseTable::open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
                                {"x", "h", 1}, 30s);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("replicas: cannot connect to PostgreSQL"), std::string::npos)
        << t.error().message;
}

}  // namespace
}  // namespace csync::replica
