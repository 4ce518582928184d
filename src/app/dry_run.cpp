#include "app/dry_run.hpp"

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "app/account_client.hpp"
#include "core/system_clock.hpp"
#include "log/log.hpp"
#include "store/postgres/configured_store.hpp"

namespace csync::app {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kDeadLettersShown = 5;

std::string when(const std::optional<UtcTime>& t) {
    return t ? format_utc_iso(*t) : std::string("-");
}

// "100 products, 2 dead letters": the kinds of record the page carries.
std::string counts(const PageRecords& r) {
    std::vector<std::string> parts;
    auto add = [&](std::size_t n, const char* what) {
        if (n > 0) parts.push_back(std::to_string(n) + ' ' + what);
    };
    add(r.products.size(), "products");
    add(r.categories.size(), "categories");
    add(r.stock_levels.size(), "stock levels");
    add(r.orders.size(), "orders");
    add(r.images.size(), "images");
    add(r.deleted_product_ids.size(), "deletions");
    add(r.dead_letters.size(), "dead letters");
    if (parts.empty()) return "no records";
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
}

// The first record of each kind, as it would be stored, and why records would be dead letters.
std::string samples(const PageRecords& r) {
    std::ostringstream out;
    if (!r.products.empty()) {
        const Product& p = r.products.front();
        out << "    first product: " << p.external_id << ", sku " << p.sku << ", \"" << p.title
            << "\", price " << (p.price ? p.price->text() : "-") << ' ' << p.currency << ", stock "
            << (p.stock ? std::to_string(*p.stock) : "-") << ", " << to_string(p.status)
            << ", modified " << when(p.source_modified_at) << '\n';
    }
    if (!r.categories.empty()) {
        const Category& c = r.categories.front();
        out << "    first category: " << c.external_id << " \"" << c.name << "\", parent "
            << (c.parent_external_id.empty() ? "-" : c.parent_external_id) << ", " << c.status
            << ", modified " << when(c.source_modified_at) << '\n';
    }
    if (!r.stock_levels.empty()) {
        const StockLevel& s = r.stock_levels.front();
        out << "    first stock level: " << s.external_id << ", sku " << s.sku << ", quantity "
            << s.quantity.text() << ", change count " << s.change_count << ", modified "
            << when(s.source_modified_at) << '\n';
    }
    for (std::size_t i = 0; i < r.dead_letters.size() && i < kDeadLettersShown; ++i) {
        const DeadLetter& d = r.dead_letters[i];
        out << "    dead letter " << (d.record_key.empty() ? "(no key)" : d.record_key) << ": "
            << d.error << '\n';
    }
    if (r.dead_letters.size() > kDeadLettersShown) {
        out << "    … and " << r.dead_letters.size() - kDeadLettersShown << " more dead letters\n";
    }
    return out.str();
}

struct Probe {
    const AccountConfig* account;
    const StreamConfig* stream;
    nlohmann::json cursor;  // null: the stream's initial position
    AccountState state;     // the account's stored state (tokens), read-only
};

}  // namespace

int run_dry(const Config& config, const DaemonOptions& options) {
    SystemClock clock;

    // Every stored cursor is read before the network starts: the network thread never waits on
    // the disk. A missing database means every stream starts from its beginning.
    std::vector<Probe> probes;
    std::unique_ptr<OperationalStore> store;
    if (config.store.backend == "postgres" || std::filesystem::exists(config.store.path)) {
        StoreOpenOptions o;
        o.migrate = false;
        o.read_only = true;
        auto opened = open_configured_store(config.store, clock, o);
        if (!opened.ok()) {
            std::cerr << "commerce-syncd: " << opened.error().message << '\n';
            return kExitStore;
        }
        store = std::move(opened.value());
    }
    for (const AccountConfig& account : config.accounts) {
        for (const StreamConfig& stream : account.streams) {
            if (!options.selects(account.name, stream.name)) continue;
            Probe probe{&account, &stream, nullptr, {}};
            if (store) {
                auto state = store->load_account_state(account.name);
                if (!state.ok()) {
                    std::cerr << "commerce-syncd: " << state.error().message << '\n';
                    return kExitStore;
                }
                probe.state = std::move(state.value());
                auto cursor = store->load_cursor({account.name, stream.name});
                if (!cursor.ok()) {
                    std::cerr << "commerce-syncd: " << cursor.error().message << '\n';
                    return kExitStore;
                }
                if (*cursor) probe.cursor = **cursor;
            }
            probes.push_back(std::move(probe));
        }
    }
    store.reset();

    asio::io_context ioc(1);
    std::map<std::string, AccountClient> clients;
    bool any_failed = false, any_auth = false;

    auto fut = asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            for (const Probe& probe : probes) {
                const AccountConfig& account = *probe.account;
                const std::string label = account.name + '/' + probe.stream->name;
                auto found = clients.find(account.name);
                if (found == clients.end()) {
                    // No store: a dry run reads what the daemon stored, writes nothing and
                    // never refreshes a token.
                    auto made = make_account_client(ioc.get_executor(), clock, account, nullptr,
                                                    {probe.state, nullptr, nullptr});
                    if (!made.ok()) {
                        std::cout << label << ": " << made.error().message << '\n';
                        any_failed = true;
                        continue;
                    }
                    found = clients.emplace(account.name, std::move(made.value())).first;
                }
                AccountClient& client = found->second;
                StreamSyncPtr sync = client.adapter->make_stream(*probe.stream);
                Result<Page> page = co_await sync->fetch_page(probe.cursor);
                if (!page.ok()) {
                    any_failed = true;
                    if (page.error().kind == ErrorKind::auth) any_auth = true;
                    std::cout << label << ": failed: " << log::redact(page.error().describe())
                              << '\n';
                    continue;
                }
                std::cout << label << ": " << counts(page->records) << ", " << page->requests
                          << (page->requests == 1 ? " request" : " requests") << "; from cursor "
                          << (probe.cursor.is_null() ? "(start)" : probe.cursor.dump())
                          << ", next cursor " << page->next_cursor.dump()
                          << (page->cycle_done ? " (cycle would end here)" : "") << '\n'
                          << samples(page->records);
            }
        },
        asio::use_future);
    ioc.run();
    try {
        fut.get();
    } catch (const std::exception& e) {
        std::cerr << "commerce-syncd: dry run failed: " << e.what() << '\n';
        return kExitSyncFailed;
    }
    std::cout << "dry run: nothing was written to " << config.store.path
              << " and nothing was acknowledged to a platform\n";
    if (any_auth) return kExitAuth;
    return any_failed ? kExitSyncFailed : kExitOk;
}

}  // namespace csync::app
