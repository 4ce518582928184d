// TokenManager and call_platform: one refresh however many callers wait, the rotated pair stored
// before it is used (so a crash right after a refresh loses nothing), the configuration's pair
// winning once its refresh token changes, and commands beside the daemon never refreshing.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/db_executor.hpp"
#include "core/executor_adapter_store.hpp"
#include "core/platform_call.hpp"
#include "core/run_coro.hpp"
#include "core/token_manager.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/memory_store.hpp"

namespace csync {
namespace {

namespace asio = boost::asio;
using csync::testing::FakeClock;
using csync::testing::MemoryStore;
using csync::testing::run_coro;

constexpr const char* kAccount = "shop";

// The platform's token endpoint: rotates the pair on every refresh, refuses a stale refresh
// token, and lets the caller observe what the store held at the moment the answer was used.
struct Platform {
    int generation = 0;
    int refresh_calls = 0;
    bool refuse = false;
    std::string access() const { return "access-" + std::to_string(generation); }
    std::string refresh() const { return "refresh-" + std::to_string(generation); }
};

struct Rig {
    FakeClock clock;
    MemoryStore store{clock};
    DbExecutor db;
    ExecutorAdapterStore adapter_store{store, db, kAccount};
    Platform platform;
    asio::io_context io;

    Rig() { EXPECT_TRUE(store.register_account(kAccount, "qianmi").ok()); }

    TokenManagerOptions options(std::string configured_refresh = "refresh-0",
                                bool with_store = true) {
        TokenManagerOptions o;
        o.account = kAccount;
        o.configured = {"access-0", configured_refresh, std::nullopt};
        o.configured_source = configured_refresh;
        auto state = store.load_account_state(kAccount);
        o.initial_state = state.ok() ? *state : AccountState{};
        o.store = with_store ? &adapter_store : nullptr;
        o.reauthorize_hint = "authorise the app again";
        return o;
    }

    // A refresher that yields a few times (so concurrent callers really overlap) and rotates.
    TokenManager::Refresher refresher() {
        return [this](TokenPair current) -> asio::awaitable<Result<TokenPair>> {
            ++platform.refresh_calls;
            for (int i = 0; i < 5; ++i) {
                co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            }
            if (platform.refuse || current.refresh_token != platform.refresh()) {
                co_return Error::config("invalid_grant: refresh token refused");
            }
            ++platform.generation;
            co_return TokenPair{platform.access(), platform.refresh(), std::nullopt};
        };
    }

    std::string stored(const std::string& name) {
        auto state = store.load_account_state(kAccount);
        auto it = state->find(name);
        return it == state->end() ? "" : it->second;
    }
};

TEST(TokenManager, ManyWaitersShareOneRefresh) {
    Rig rig;
    TokenManager tokens(rig.clock, rig.options(), rig.refresher());
    std::vector<std::string> got;
    for (int i = 0; i < 6; ++i) {
        asio::co_spawn(
            rig.io,
            [&]() -> asio::awaitable<void> {
                auto t = co_await tokens.refresh_after_rejection("access-0");
                got.push_back(t.ok() ? *t : t.error().describe());
            },
            asio::detached);
    }
    rig.io.run();
    EXPECT_EQ(rig.platform.refresh_calls, 1);
    EXPECT_EQ(tokens.refreshes(), 1);
    ASSERT_EQ(got.size(), 6u);
    for (const auto& t : got) EXPECT_EQ(t, "access-1");
    // A caller that still holds the refused token gets the new one without another refresh.
    auto again = run_coro(rig.io, tokens.refresh_after_rejection("access-0"));
    EXPECT_EQ(*again, "access-1");
    EXPECT_EQ(rig.platform.refresh_calls, 1);
}

TEST(TokenManager, TheRotatedPairIsStoredBeforeItIsHandedOutAndSurvivesACrash) {
    Rig rig;
    {
        TokenManager tokens(rig.clock, rig.options(), rig.refresher());
        auto t = run_coro(rig.io, tokens.refresh_after_rejection("access-0"));
        ASSERT_TRUE(t.ok()) << t.error().describe();
        // By the time the caller holds the new token, the store has the new refresh token.
        EXPECT_EQ(rig.stored(TokenManager::kRefreshKey), "refresh-1");
        EXPECT_EQ(rig.stored(TokenManager::kAccessKey), "access-1");
        EXPECT_EQ(rig.stored(TokenManager::kSourceKey), TokenManager::fingerprint("refresh-0"));
        EXPECT_EQ(rig.stored(TokenManager::kSourceKey).find("refresh-0"), std::string::npos);
    }  // the process dies here
    TokenManager restarted(rig.clock, rig.options(), rig.refresher());
    EXPECT_EQ(restarted.current_access_token(), "access-1");
    // Refused again later: the stored (rotated) refresh token is the one used.
    auto t = run_coro(rig.io, restarted.refresh_after_rejection("access-1"));
    ASSERT_TRUE(t.ok()) << t.error().describe();
    EXPECT_EQ(*t, "access-2");
}

TEST(TokenManager, AChangedConfiguredRefreshTokenWinsOverTheStoredPair) {
    Rig rig;
    {
        TokenManager tokens(rig.clock, rig.options(), rig.refresher());
        ASSERT_TRUE(run_coro(rig.io, tokens.refresh_after_rejection("access-0")).ok());
    }
    // The operator authorised again and put a new pair in the configuration.
    rig.platform.generation = 7;
    TokenManagerOptions o = rig.options("refresh-7");
    o.configured.access_token = "access-7";
    TokenManager tokens(rig.clock, o, rig.refresher());
    EXPECT_EQ(tokens.current_access_token(), "access-7");
    auto t = run_coro(rig.io, tokens.refresh_after_rejection("access-7"));
    ASSERT_TRUE(t.ok()) << t.error().describe();
    EXPECT_EQ(*t, "access-8");
    EXPECT_EQ(rig.stored(TokenManager::kSourceKey), TokenManager::fingerprint("refresh-7"));
}

TEST(TokenManager, ThePairAnotherProcessRotatedIsAdoptedWithoutARefresh) {
    Rig rig;
    TokenManager ours(rig.clock, rig.options(), rig.refresher());
    {
        TokenManager other(rig.clock, rig.options(), rig.refresher());
        ASSERT_TRUE(run_coro(rig.io, other.refresh_after_rejection("access-0")).ok());
    }
    // Ours still signs with access-0; the gateway refuses it.
    auto t = run_coro(rig.io, ours.refresh_after_rejection("access-0"));
    ASSERT_TRUE(t.ok()) << t.error().describe();
    EXPECT_EQ(*t, "access-1");
    EXPECT_EQ(rig.platform.refresh_calls, 1);  // the other process's refresh only
}

TEST(TokenManager, WithoutAStoreNothingIsEverRefreshed) {
    Rig rig;
    TokenManager tokens(rig.clock, rig.options("refresh-0", /*with_store=*/false), rig.refresher());
    auto t = run_coro(rig.io, tokens.refresh_after_rejection("access-0"));
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().kind, ErrorKind::auth);
    EXPECT_NE(t.error().message.find("never refreshes"), std::string::npos);
    EXPECT_EQ(rig.platform.refresh_calls, 0);
}

TEST(TokenManager, ARefusedRefreshIsAnAuthErrorSayingWhatToDo) {
    Rig rig;
    rig.platform.refuse = true;
    TokenManager tokens(rig.clock, rig.options(), rig.refresher());
    auto t = run_coro(rig.io, tokens.refresh_after_rejection("access-0"));
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().kind, ErrorKind::auth);
    EXPECT_NE(t.error().message.find("authorise the app again"), std::string::npos);
}

TEST(TokenManager, AnUnstoredPairIsStoredBeforeItsNextUse) {
    Rig rig;
    TokenManager tokens(rig.clock, rig.options(), rig.refresher());
    rig.store.fail_save_account_state(Error::storage("disk full"));
    auto t = run_coro(rig.io, tokens.refresh_after_rejection("access-0"));
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().kind, ErrorKind::storage);
    auto refused = run_coro(rig.io, tokens.access_token());
    EXPECT_FALSE(refused.ok());  // still cannot store it: not used
    rig.store.fail_save_account_state(std::nullopt);
    auto used = run_coro(rig.io, tokens.access_token());
    ASSERT_TRUE(used.ok());
    EXPECT_EQ(*used, "access-1");
    EXPECT_EQ(rig.stored(TokenManager::kRefreshKey), "refresh-1");
    EXPECT_EQ(rig.platform.refresh_calls, 1);
}

// A replica that lost the account's lease: the store refuses the rotated pair. The call ends
// with that error, typed so it is not retried, and no further refresh is attempted.
TEST(TokenManager, AFencedSaveEndsTheCallWithoutRefreshingAgain) {
    Rig rig;
    TokenManager tokens(rig.clock, rig.options(), rig.refresher());
    rig.store.fail_save_account_state(Error::fenced("account 'shop': lease held by another"));
    auto t = run_coro(rig.io, tokens.refresh_after_rejection("access-0"));
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().kind, ErrorKind::fenced);
    auto again = run_coro(rig.io, tokens.access_token());
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::fenced);
    EXPECT_EQ(rig.platform.refresh_calls, 1);
    EXPECT_EQ(rig.stored(TokenManager::kRefreshKey), "");
}

TEST(TokenManager, AKnownExpiryIsRefreshedBeforeUse) {
    Rig rig;
    TokenManager tokens(
        rig.clock, rig.options(), [&](TokenPair) -> asio::awaitable<Result<TokenPair>> {
            ++rig.platform.refresh_calls;
            co_return TokenPair{"access-x", "refresh-x",
                                std::chrono::floor<std::chrono::seconds>(rig.clock.now()) +
                                    std::chrono::seconds{3600}};
        });
    ASSERT_EQ(*run_coro(rig.io, tokens.refresh_after_rejection("access-0")), "access-x");
    EXPECT_EQ(*run_coro(rig.io, tokens.access_token()), "access-x");
    rig.clock.advance(std::chrono::seconds{3600 - 30});  // inside the margin
    EXPECT_EQ(*run_coro(rig.io, tokens.access_token()), "access-x");
    EXPECT_EQ(rig.platform.refresh_calls, 2);
}

TEST(TokenManager, AShortLivedTokenIsNotRefreshedOnEveryCall) {
    Rig rig;
    TokenManager tokens(
        rig.clock, rig.options(), [&](TokenPair) -> asio::awaitable<Result<TokenPair>> {
            ++rig.platform.refresh_calls;
            const UtcTime now = std::chrono::floor<std::chrono::seconds>(rig.clock.now());
            co_return TokenPair{"access-" + std::to_string(rig.platform.refresh_calls), "refresh-x",
                                now + std::chrono::seconds{10}, now};
        });
    ASSERT_TRUE(run_coro(rig.io, tokens.refresh_after_rejection("access-0")).ok());
    // A 10-second token with a 60-second margin: used for half its life, then refreshed.
    for (int i = 0; i < 3; ++i) EXPECT_EQ(*run_coro(rig.io, tokens.access_token()), "access-1");
    rig.clock.advance(std::chrono::seconds{4});
    EXPECT_EQ(*run_coro(rig.io, tokens.access_token()), "access-1");
    rig.clock.advance(std::chrono::seconds{1});
    EXPECT_EQ(*run_coro(rig.io, tokens.access_token()), "access-2");
    EXPECT_EQ(rig.platform.refresh_calls, 2);
    EXPECT_EQ(rig.stored(TokenManager::kObtainedAtKey).empty(), false);
}

// A gateway that accepts one access token and answers "expired" to any other.
struct OneTokenHttp final : HttpClient {
    std::string accepted;
    asio::awaitable<Result<HttpResponse>> send(HttpRequest request) override {
        HttpResponse r;
        r.status = 200;
        r.body = request.body == accepted ? "ok" : "expired";
        co_return r;
    }
};

PlatformCall signed_with_token() {
    PlatformCall call;
    call.build = [](const std::string& token) -> Result<HttpRequest> {
        HttpRequest r;
        r.body = token;  // "signed" with it
        return r;
    };
    call.read = [](const HttpResponse& r) -> Result<nlohmann::json> {
        if (r.body == "expired") return Error::token_expired("code 21");
        return nlohmann::json(r.body);
    };
    return call;
}

TEST(CallPlatform, AnExpiredTokenIsRefreshedOnceAndTheCallReSignedAndRetriedOnce) {
    Rig rig;
    TokenManager tokens(rig.clock, rig.options(), rig.refresher());
    OneTokenHttp http;
    http.accepted = "access-1";  // access-0 was revoked
    std::int64_t requests = 0;
    auto answer = run_coro(rig.io, call_platform(http, &tokens, signed_with_token(), requests));
    ASSERT_TRUE(answer.ok()) << answer.error().describe();
    EXPECT_EQ(*answer, "ok");
    EXPECT_EQ(requests, 2);
    EXPECT_EQ(rig.platform.refresh_calls, 1);
}

TEST(CallPlatform, ARefreshedTokenRefusedAgainIsRetriedLaterNotParked) {
    Rig rig;
    TokenManager tokens(rig.clock, rig.options(), rig.refresher());
    OneTokenHttp http;
    http.accepted = "none";
    std::int64_t requests = 0;
    auto answer = run_coro(rig.io, call_platform(http, &tokens, signed_with_token(), requests));
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.error().kind, ErrorKind::transient);
    EXPECT_NE(answer.error().message.find("if this persists"), std::string::npos);
    EXPECT_NE(answer.error().message.find("authorise the app again"), std::string::npos);
    EXPECT_EQ(requests, 2);
    EXPECT_EQ(rig.platform.refresh_calls, 1);
}

}  // namespace
}  // namespace csync
