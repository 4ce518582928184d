// The retry policy: which kinds retry, how many times, and the full-jitter backoff.

#include <chrono>

#include <gtest/gtest.h>

#include "core/error_params.hpp"
#include "core/retry_policy.hpp"
#include "fakes/fake_clock.hpp"

namespace csync {
namespace {

using namespace std::chrono_literals;
using csync::testing::FakeRandom;

class NeverRetried : public ::testing::TestWithParam<Error> {};

TEST_P(NeverRetried, OnTheFirstFailure) {
    RetryPolicy policy;
    FakeRandom random({0.5});
    for (int failures : {1, 2, 5}) {
        RetryDecision d = policy.decide(GetParam(), failures, random);
        EXPECT_FALSE(d.retry) << GetParam().describe() << " after " << failures;
    }
}

INSTANTIATE_TEST_SUITE_P(Kinds, NeverRetried,
                         ::testing::Values(Error::auth("bad sign"), Error::config("bad request"),
                                           Error::storage("disk full"), Error::cancelled(),
                                           Error::fenced("account 'shop': lease lost")),
                         testing::KindName);

TEST(RetryPolicy, TransientRetriesUntilMaxAttempts) {
    RetryPolicy policy;  // max_attempts 6
    FakeRandom random({0.5});
    for (int failures = 1; failures < 6; ++failures) {
        EXPECT_TRUE(policy.decide(Error::transient("timeout"), failures, random).retry) << failures;
    }
    EXPECT_FALSE(policy.decide(Error::transient("timeout"), 6, random).retry);
    EXPECT_FALSE(policy.decide(Error::transient("timeout"), 7, random).retry);
}

TEST(RetryPolicy, RateLimitedRetriesUntilMaxAttempts) {
    RetryPolicy policy(RetryOptions{.max_attempts = 3});
    FakeRandom random({0.5});
    EXPECT_TRUE(policy.decide(Error::rate_limited("429"), 1, random).retry);
    EXPECT_TRUE(policy.decide(Error::rate_limited("429"), 2, random).retry);
    EXPECT_FALSE(policy.decide(Error::rate_limited("429"), 3, random).retry);
}

TEST(RetryPolicy, BadResponseRetriesLess) {
    RetryPolicy policy;  // max_bad_response_attempts 3
    FakeRandom random({0.5});
    EXPECT_TRUE(policy.decide(Error::bad_response("truncated"), 1, random).retry);
    EXPECT_TRUE(policy.decide(Error::bad_response("truncated"), 2, random).retry);
    EXPECT_FALSE(policy.decide(Error::bad_response("truncated"), 3, random).retry);
}

TEST(RetryPolicy, FullJitterSpansZeroToTheExponentialCeiling) {
    RetryPolicy policy;  // base 500 ms
    FakeRandom zero({0.0});
    FakeRandom top({0.999});
    FakeRandom half({0.5});
    const Error e = Error::transient("503");
    // Ceiling doubles per failure: 500, 1000, 2000, 4000 ms.
    EXPECT_EQ(policy.decide(e, 1, zero).delay, 0ms);
    EXPECT_EQ(policy.decide(e, 1, top).delay, 499ms);
    EXPECT_EQ(policy.decide(e, 1, half).delay, 250ms);
    EXPECT_EQ(policy.decide(e, 2, top).delay, 999ms);
    EXPECT_EQ(policy.decide(e, 3, top).delay, 1998ms);
    EXPECT_EQ(policy.decide(e, 4, half).delay, 2000ms);
    for (int failures = 1; failures < 6; ++failures) {
        EXPECT_EQ(policy.decide(e, failures, zero).delay, 0ms) << failures;
    }
}

TEST(RetryPolicy, CeilingIsCappedAtMaxDelay) {
    RetryPolicy policy(RetryOptions{.max_attempts = 100, .base_delay = 500ms, .max_delay = 5s});
    FakeRandom top({0.999});
    // 500 ms * 2^9 = 256 s, capped at 5 s; huge failure counts do not overflow.
    EXPECT_EQ(policy.decide(Error::transient("x"), 10, top).delay, 4995ms);
    EXPECT_EQ(policy.decide(Error::transient("x"), 99, top).delay, 4995ms);
    RetryPolicy defaults;
    EXPECT_EQ(defaults.decide(Error::transient("x"), 5, top).delay, 7992ms);
    EXPECT_LE(RetryPolicy(RetryOptions{.max_attempts = 1000})
                  .decide(Error::transient("x"), 500, top)
                  .delay,
              60s);
}

TEST(RetryPolicy, RetryAfterIsAFloor) {
    RetryPolicy policy;
    FakeRandom zero({0.0});
    FakeRandom top({0.999});
    // The platform's hint wins over a shorter jitter...
    EXPECT_EQ(policy.decide(Error::rate_limited("429", 30s), 1, zero).delay, 30s);
    EXPECT_EQ(policy.decide(Error::rate_limited("429", 30s), 3, top).delay, 30s);
    // ...even beyond max_delay: waiting less than asked would only be refused again.
    EXPECT_EQ(policy.decide(Error::rate_limited("429", 120s), 1, zero).delay, 120s);
    // A longer jitter is kept.
    EXPECT_EQ(policy.decide(Error::rate_limited("429", 100ms), 3, top).delay, 1998ms);
    // A hint never makes a non-retryable kind retry.
    Error auth = Error::auth("nope");
    auth.retry_after = 1s;
    EXPECT_FALSE(policy.decide(auth, 1, zero).retry);
}

}  // namespace
}  // namespace csync
