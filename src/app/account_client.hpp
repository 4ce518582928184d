#pragma once
// One account's client stack, wired the same way for the daemon, `sync-once --dry-run` and
// `api`: a TLS-verifying HTTP client, the account's token bucket and request timeout, and the
// platform's adapter on top.

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "core/db_executor.hpp"
#include "core/sync_metrics.hpp"
#include "core/token_bucket.hpp"
#include "csync/config.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "csync/ports/store.hpp"
#include "net/beast_http_client.hpp"

namespace csync::app {

// The store behind an account's AdapterStore, for the daemon and `sync-once`. Commands that run
// beside the daemon pass only the state they read (no store: nothing written, nothing refreshed).
struct AccountStoreAccess {
    AccountState state;
    Store* store = nullptr;  // with `db`: the adapter gets an AdapterStore
    DbExecutor* db = nullptr;
};

struct AccountClient {
    std::unique_ptr<AdapterStore> adapter_store;  // before `adapter`: it outlives it
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
                                          SyncMetrics* metrics = nullptr,
                                          AccountStoreAccess store_access = {});

}  // namespace csync::app
