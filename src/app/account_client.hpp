#pragma once
// One account's client stack, wired the same way for the daemon, `sync-once --dry-run` and
// `api`: a TLS-verifying HTTP client, the account's token bucket and request timeout, and the
// platform's adapter on top.

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "core/sync_metrics.hpp"
#include "core/token_bucket.hpp"
#include "csync/config.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "net/beast_http_client.hpp"

namespace csync::app {

struct AccountClient {
    std::unique_ptr<BeastHttpClient> http;
    std::unique_ptr<TokenBucket> bucket;
    std::unique_ptr<RateLimitedHttpClient> limited;
    PlatformAdapterPtr adapter;
};

// Unknown platform or zone is a config error naming the account (the loader checks both, so this
// only guards direct callers). With `metrics`, the account's HTTP figures are counted there.
// `account` and `clock` must outlive the result; it must be destroyed before the executor's
// io_context.
Result<AccountClient> make_account_client(boost::asio::any_io_executor executor, Clock& clock,
                                          const AccountConfig& account,
                                          SyncMetrics* metrics = nullptr);

}  // namespace csync::app
