#include "app/account_client.hpp"

#include "core/executor_adapter_store.hpp"
#include "log/log.hpp"
#include "registry.hpp"

namespace csync::app {

Result<AccountClient> make_account_client(boost::asio::any_io_executor executor, Clock& clock,
                                          const AccountConfig& account, SyncMetrics* metrics,
                                          AccountStoreAccess store_access) {
    const PlatformRegistration* platform = find_platform(account.platform);
    if (!platform) {
        return Error::config("account " + account.name + ": unknown platform " + account.platform);
    }
    auto zone = TimeZone::from_name(account.timezone);
    if (!zone.ok()) return Error::config("account " + account.name + ": " + zone.error().message);

    HttpClientOptions http_options;
    http_options.ca_file = account.tls.ca_file;
    http_options.verify_tls = account.tls.verify;
    if (!account.tls.verify) {
        log::root()
            .with("account", account.name)
            .warn("TLS certificate verification is OFF for this account (tls.verify: false)");
    }
    AccountClient c;
    c.http = std::make_unique<BeastHttpClient>(std::move(executor), http_options);
    c.bucket = std::make_unique<TokenBucket>(clock, account.rate_limit);
    c.limited = std::make_unique<RateLimitedHttpClient>(*c.http, *c.bucket, account.request_timeout,
                                                        metrics, account.name);
    if (store_access.store && store_access.db) {
        c.adapter_store = std::make_unique<ExecutorAdapterStore>(*store_access.store,
                                                                 *store_access.db, account.name);
    }
    for (const auto& [name, value] : store_access.state) log::add_secret(value);
    c.adapter = platform->make_adapter(AdapterDeps{
        account, *c.limited, clock, *zone, std::move(store_access.state), c.adapter_store.get()});
    return c;
}

}  // namespace csync::app
