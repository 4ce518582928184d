// The Wshoto token life cycle through the shared TokenManager: kept in the account state (a
// restart fetches none), valid until create_at + expires_in minus the margin, one fetch however
// many calls see it refused, a refused call retried once, and no token call within
// token_min_interval of the last.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "rig.hpp"

namespace csync::wshoto::test {
namespace {

namespace asio = boost::asio;

Result<json> types(Rig& rig, Client& client) {
    std::int64_t requests = 0;
    return run_coro(rig.io, client.call(kTypeListPath, json::object(), requests));
}

std::unique_ptr<Client> client_of(Rig& rig) {
    AdapterDeps deps{rig.account,
                     *rig.http,
                     rig.clock,
                     TimeZone::utc(),
                     *rig.store.load_account_state(kAccount),
                     &rig.adapter_store};
    return std::make_unique<Client>(deps, Credentials{"app-1", "app-secret-value"}, ErrorCodes{},
                                    std::chrono::seconds{60});
}

std::string stored(Rig& rig, const std::string& name) {
    auto state = rig.store.load_account_state(kAccount);
    auto it = state->find(name);
    return it == state->end() ? "" : it->second;
}

TEST(WshotoTokens, TheStoredTokenSurvivesARestart) {
    Rig rig(5);
    auto first = client_of(rig);
    ASSERT_TRUE(types(rig, *first).ok());
    EXPECT_EQ(rig.sim->token_calls(), 1);
    EXPECT_EQ(stored(rig, TokenManager::kAccessKey), rig.sim->current_token());
    auto second = client_of(rig);
    ASSERT_TRUE(types(rig, *second).ok());
    EXPECT_EQ(rig.sim->token_calls(), 1);
}

TEST(WshotoTokens, ATokenEndsAtItsCreateAtNotAtFetchTimePlusItsLife) {
    Rig rig(5);
    // Someone else fetched the token 1000 s ago: the platform hands out the same one.
    auto other = client_of(rig);
    ASSERT_TRUE(types(rig, *other).ok());
    const auto created = std::chrono::floor<std::chrono::seconds>(rig.clock.now());
    ASSERT_TRUE(rig.store.save_account_state(kAccount, {{TokenManager::kAccessKey, ""}}).ok());
    rig.clock.advance(std::chrono::seconds{1000});
    auto client = client_of(rig);
    ASSERT_TRUE(types(rig, *client).ok());
    EXPECT_EQ(rig.sim->token_calls(), 2);
    EXPECT_EQ(rig.sim->tokens_issued(), 1);
    const auto ends = (created + std::chrono::seconds{7200}).time_since_epoch().count();
    EXPECT_EQ(stored(rig, TokenManager::kExpiresAtKey), std::to_string(ends));
    // Used until the margin before that end without a token call...
    rig.clock.advance(std::chrono::seconds{7200 - 1000 - 121});
    ASSERT_TRUE(types(rig, *client).ok());
    EXPECT_EQ(rig.sim->token_calls(), 2);
    // ...then fetched again (the same token, still valid); after the end, a new one.
    rig.clock.advance(std::chrono::seconds{2});
    ASSERT_TRUE(types(rig, *client).ok());
    EXPECT_EQ(rig.sim->token_calls(), 3);
    EXPECT_EQ(rig.sim->tokens_issued(), 1);
    rig.clock.advance(std::chrono::seconds{200});
    ASSERT_TRUE(types(rig, *client).ok());
    EXPECT_EQ(rig.sim->tokens_issued(), 2);
    EXPECT_EQ(client->tokens().current_access_token(), rig.sim->current_token());
}

TEST(WshotoTokens, ManyCallsRefusedTogetherFetchOneTokenAndEachRetriesOnce) {
    Rig rig(5);
    auto client = client_of(rig);
    ASSERT_TRUE(types(rig, *client).ok());
    rig.clock.advance(std::chrono::seconds{120});
    rig.sim->revoke_token();
    std::vector<bool> ok;
    std::int64_t all_requests = 0;
    for (int i = 0; i < 6; ++i) {
        asio::co_spawn(
            rig.io,
            [&]() -> asio::awaitable<void> {
                std::int64_t requests = 0;
                auto r = co_await client->call(kTypeListPath, json::object(), requests);
                // Refused, then sent again; one call also counts the token call.
                ok.push_back(r.ok() && requests <= 3);
                all_requests += requests;
            },
            asio::detached);
    }
    rig.io.restart();
    rig.io.run();
    ASSERT_EQ(ok.size(), 6u);
    for (bool b : ok) EXPECT_TRUE(b);
    EXPECT_EQ(all_requests, 6 * 2 + 1);  // each call twice, the one token call once
    EXPECT_EQ(rig.sim->token_calls(), 2);
    EXPECT_EQ(rig.sim->tokens_issued(), 2);
}

TEST(WshotoTokens, NoTokenCallWithinTheMinimumInterval) {
    Rig rig(5);
    auto client = client_of(rig);
    ASSERT_TRUE(types(rig, *client).ok());
    rig.clock.advance(std::chrono::seconds{10});
    rig.sim->revoke_token();
    auto r = types(rig, *client);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::rate_limited);
    ASSERT_TRUE(r.error().retry_after.has_value());
    EXPECT_EQ(*r.error().retry_after, std::chrono::seconds{50});
    EXPECT_EQ(rig.sim->token_calls(), 1);
    rig.clock.advance(std::chrono::seconds{50});
    ASSERT_TRUE(types(rig, *client).ok());
    EXPECT_EQ(rig.sim->token_calls(), 2);
}

TEST(WshotoTokens, WrongCredentialsAreAnAuthErrorAndTheTokenIsNeverLoggedOrShown) {
    Rig rig(5);
    rig.account.credentials["app_secret"] = "wrong";
    AdapterDeps deps{rig.account, *rig.http, rig.clock, TimeZone::utc(), {}, &rig.adapter_store};
    Client client(deps, Credentials{"app-1", "wrong"}, ErrorCodes{}, std::chrono::seconds{60});
    auto r = types(rig, client);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::auth);
    EXPECT_EQ(r.error().message.find("wrong"), std::string::npos);
}

}  // namespace
}  // namespace csync::wshoto::test
