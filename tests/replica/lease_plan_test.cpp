// The lease decisions of replicas: fair share, what to take, what to give back, what changed.

#include "replica/lease_plan.hpp"

#include <gtest/gtest.h>

namespace csync::replica {
namespace {

using std::chrono::seconds;
using Tp = std::chrono::system_clock::time_point;

HeldLease held(std::string account, int acquired_s) {
    HeldLease h;
    h.account = std::move(account);
    h.token = 1;
    h.acquired_at = Tp(seconds(acquired_s));
    return h;
}

TEST(LeasePlan, FairShareRoundsUpSoNoAccountIsLeftWithoutATaker) {
    EXPECT_EQ(fair_share(12, 3), 4u);
    EXPECT_EQ(fair_share(12, 5), 3u);  // 5 * 3 >= 12
    EXPECT_EQ(fair_share(13, 3), 5u);
    EXPECT_EQ(fair_share(2, 5), 1u);
    EXPECT_EQ(fair_share(0, 3), 0u);
    EXPECT_EQ(fair_share(7, 0), 7u);  // this replica always counts itself
    for (std::size_t accounts = 0; accounts < 50; ++accounts) {
        for (std::size_t live = 1; live < 9; ++live) {
            EXPECT_GE(fair_share(accounts, live) * live, accounts) << accounts << "/" << live;
        }
    }
}

TEST(LeasePlan, BelowTheShareTakesTheDifference) {
    auto plan = plan_leases({held("a", 1)}, 12, 3);
    EXPECT_EQ(plan.acquire, 3u);
    EXPECT_TRUE(plan.release.empty());
    EXPECT_EQ(plan_leases({}, 12, 1).acquire, 12u);
}

TEST(LeasePlan, AtTheShareDoesNothing) {
    auto plan = plan_leases({held("a", 1), held("b", 2)}, 4, 2);
    EXPECT_EQ(plan.acquire, 0u);
    EXPECT_TRUE(plan.release.empty());
}

TEST(LeasePlan, AJoiningReplicaMakesTheHolderGiveBackItsNewestLeases) {
    std::vector<HeldLease> all;
    for (int i = 0; i < 6; ++i) all.push_back(held("acct-" + std::to_string(i), 100 + i));
    auto plan = plan_leases(all, 6, 2);  // a second replica joined: share 3
    EXPECT_EQ(plan.acquire, 0u);
    EXPECT_EQ(plan.release, (std::vector<std::string>{"acct-5", "acct-4", "acct-3"}));
}

TEST(LeasePlan, SameAcquisitionTimeGivesBackByNameSoTheChoiceIsStable) {
    auto plan = plan_leases({held("b", 5), held("a", 5), held("c", 5)}, 3, 3);
    EXPECT_EQ(plan.release, (std::vector<std::string>{"c", "b"}));
}

TEST(LeasePlan, ADeadReplicaRaisesTheShareOfTheSurvivors) {
    std::vector<HeldLease> four = {held("a", 1), held("b", 1), held("c", 1), held("d", 1)};
    EXPECT_EQ(plan_leases(four, 12, 3).acquire, 0u);
    EXPECT_EQ(plan_leases(four, 12, 2).acquire, 2u);
}

TEST(LeasePlan, DiffSeesGainsLossesAndAChangedTokenAsBoth) {
    Ownership before{{"a", 1}, {"b", 4}, {"c", 7}};
    Ownership after{{"b", 4}, {"c", 9}, {"d", 2}};
    auto change = diff_ownership(before, after);
    EXPECT_EQ(change.lost, (std::vector<std::string>{"a", "c"}));
    EXPECT_EQ(change.gained, (std::vector<std::string>{"c", "d"}));
    auto none = diff_ownership(before, before);
    EXPECT_TRUE(none.lost.empty());
    EXPECT_TRUE(none.gained.empty());
}

TEST(LeasePlan, DefaultReplicaIdNamesHostPidAndARandomPart) {
    EXPECT_EQ(default_replica_id("node-1", 4242, 0.0), "node-1-4242-000000");
    EXPECT_EQ(default_replica_id("node-1", 4242, 0.5), "node-1-4242-800000");
    EXPECT_EQ(default_replica_id("", 7, 1.0), "replica-7-ffffff");
    EXPECT_NE(default_replica_id("h", 1, 0.25), default_replica_id("h", 1, 0.26));
}

}  // namespace
}  // namespace csync::replica
