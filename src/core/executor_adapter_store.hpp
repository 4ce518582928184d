#pragma once
// The AdapterStore port over the Store, bound to one account: every call hops to the database
// thread (DbExecutor) and the adapter's coroutine resumes on its own executor afterwards.

#include <string>
#include <utility>
#include <vector>

#include "core/db_executor.hpp"
#include "csync/ports/adapter_store.hpp"
#include "csync/ports/store.hpp"
#include "log/log.hpp"

namespace csync {

class ExecutorAdapterStore final : public AdapterStore {
  public:
    // `store` and `db` must outlive this object.
    ExecutorAdapterStore(Store& store, DbExecutor& db, std::string account)
        : store_(store), db_(db), account_(std::move(account)) {}

    // Closures are named before co_await: GCC 12 corrupts string-capturing closure temporaries
    // of a co_await expression (see DbExecutor::run).
    boost::asio::awaitable<Result<AccountState>> load_account_state() override {
        auto load = [&store = store_, account = account_] {
            return store.load_account_state(account);
        };
        auto loaded = co_await db_.run(std::move(load));
        if (loaded.ok()) {
            for (const auto& [name, value] : *loaded) log::add_secret(value);
        }
        co_return loaded;
    }

    boost::asio::awaitable<Status> save_account_state(AccountState values) override {
        // Registered before they are written: no later log line can show them.
        for (const auto& [name, value] : values) log::add_secret(value);
        auto save = [&store = store_, account = account_, values = std::move(values)] {
            return store.save_account_state(account, values);
        };
        co_return co_await db_.run(std::move(save));
    }

    boost::asio::awaitable<Result<KnownVersions>> known_versions(
        std::string entity, std::string scope, std::vector<std::string> ids) override {
        auto read = [&store = store_, account = account_, entity = std::move(entity),
                     scope = std::move(scope), ids = std::move(ids)] {
            return store.known_versions(account, entity, scope, ids);
        };
        co_return co_await db_.run(std::move(read));
    }

    boost::asio::awaitable<Result<std::vector<std::string>>> unseen_since(
        std::string entity, std::string scope, UtcTime pass_start, std::size_t limit) override {
        auto read = [&store = store_, account = account_, entity = std::move(entity),
                     scope = std::move(scope), pass_start, limit] {
            return store.unseen_since(account, entity, scope, pass_start, limit);
        };
        co_return co_await db_.run(std::move(read));
    }

    boost::asio::awaitable<Result<ImageSpace>> image_space(std::string folder,
                                                           ImageCandidates candidates) override {
        auto read = [&store = store_, folder = std::move(folder),
                     candidates = std::move(candidates)] {
            return store.image_space(folder, candidates);
        };
        co_return co_await db_.run(std::move(read));
    }

  private:
    Store& store_;
    DbExecutor& db_;
    std::string account_;
};

}  // namespace csync
