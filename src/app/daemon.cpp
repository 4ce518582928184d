#include "app/daemon.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <vector>

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "app/account_client.hpp"
#include "app/service_notify.hpp"
#include "app/service_status.hpp"
#include "app/status_endpoint.hpp"
#include "config/config_loader.hpp"
#include "core/db_executor.hpp"
#include "core/scheduler.hpp"
#include "core/stop_signal.hpp"
#include "core/stream_runner.hpp"
#include "core/sync_metrics.hpp"
#include "core/system_clock.hpp"
#include "core/token_bucket.hpp"
#include "log/log.hpp"
#include "net/beast_http_client.hpp"
#include "net/http_server.hpp"
#include "registry.hpp"
#include "replica/lease_coordinator.hpp"
#include "store/postgres/configured_store.hpp"

namespace csync::app {
namespace {

namespace asio = boost::asio;

// Everything an account needs at run time; built from one configuration.
struct AccountRuntime {
    const AccountConfig* account = nullptr;
    AccountClient client;
    std::vector<StreamSyncPtr> syncs;
    std::vector<std::unique_ptr<StreamRunner>> runners;
};

// One configuration's worth of runtime. A valid SIGHUP reload stops it and builds the next.
struct Generation {
    Config config;
    std::unique_ptr<StopSignal> stop;
    std::unique_ptr<Scheduler> scheduler;
    std::vector<std::unique_ptr<AccountRuntime>> accounts;
    std::map<std::string, CycleOutcome> outcomes;  // "account/stream" -> last outcome
    std::set<std::string> parked;                  // accounts parked since this generation began
};

struct Shared {
    asio::io_context& ioc;
    DbExecutor& db;
    OperationalStore& store;
    SystemClock& clock;
    StdRandom& random;
    SyncMetrics& metrics;
    const DaemonOptions& options;
    // Replicas (postgres backend): a stream runs only while this replica holds its account's
    // lease. nullptr: every configured account runs here.
    replica::LeaseCoordinator* leases = nullptr;
};

// Made at the first notification (libsystemd is opened only if systemd listens).
const ServiceNotifier& service_notifier() {
    static const ServiceNotifier notifier;
    return notifier;
}

void notify(const std::string& state) { service_notifier().notify(state); }

void notify_status(const Generation& g, const std::string& last_label) {
    auto it = g.outcomes.find(last_label);
    LastCycle last{last_label, it == g.outcomes.end() ? nullptr : &it->second};
    notify("STATUS=" + service_status_line(g.config.accounts.size(), g.parked.size(), last));
}

// Persists the account's HTTP figures for `status`, a separate process (the counters live here).
asio::awaitable<void> save_account_metrics(Shared& s, std::string account) {
    AccountMetrics figures;
    auto all = s.metrics.accounts_snapshot();
    if (auto it = all.find(account); it != all.end()) figures = it->second;
    OperationalStore* store = &s.store;
    // Named before co_await (GCC 12 and closure temporaries, see DbExecutor::run).
    auto save = [store, account, figures] { return store->save_account_metrics(account, figures); };
    auto st = co_await s.db.run(std::move(save));
    if (!st.ok()) log::root().warn("cannot save the HTTP figures: {}", st.error().describe());
}

// Each account's stored state, read before its adapter is built (tokens that outlive a restart).
using AccountStates = std::map<std::string, AccountState>;

Result<AccountStates> load_account_states(Store& store, const Config& config) {
    AccountStates out;
    for (const auto& a : config.accounts) {
        auto state = store.load_account_state(a.name);
        if (!state.ok()) return std::move(state).error();
        out.emplace(a.name, std::move(state.value()));
    }
    return out;
}

Result<std::unique_ptr<Generation>> build_generation(Config config, Shared& s,
                                                     AccountStates states) {
    auto gen = std::make_unique<Generation>();
    gen->config = std::move(config);
    gen->stop = std::make_unique<StopSignal>(s.ioc.get_executor());
    gen->scheduler = std::make_unique<Scheduler>(s.clock, s.random, *gen->stop, log::root());

    for (const AccountConfig& account : gen->config.accounts) {
        auto client = make_account_client(s.ioc.get_executor(), s.clock, account, &s.metrics,
                                          {std::move(states[account.name]), &s.store, &s.db});
        if (!client.ok()) return std::move(client).error();
        auto rt = std::make_unique<AccountRuntime>();
        rt->account = &account;
        rt->client = std::move(client.value());

        for (const StreamConfig& stream : account.streams) {
            if (!s.options.selects(account.name, stream.name)) continue;
            StreamSyncPtr sync = rt->client.adapter->make_stream(stream);
            StreamKey key{account.name, stream.name};
            StreamRunnerDeps deps{
                key,
                *sync,
                s.store,
                s.db,
                s.clock,
                s.random,
                *rt->client.bucket,
                *gen->stop,
                s.metrics,
                RetryPolicy{},
                log::root().with("account", account.name).with("stream", stream.name),
                1'000'000};
            auto runner = std::make_unique<StreamRunner>(std::move(deps));
            StreamRunner* runner_ptr = runner.get();
            Generation* g = gen.get();
            std::string label = account.name + "/" + stream.name;
            // Under a lease the cycle runs with the lease's own stop signal, which also fires
            // when the lease is lost or given back: the page in flight commits, then it ends.
            StreamSync* sync_ptr = sync.get();
            TokenBucket* bucket = rt->client.bucket.get();
            auto leased_cycle = [sync_ptr, bucket, key, &s](StopSignal& lease_stop) {
                return StreamRunner(StreamRunnerDeps{
                    key, *sync_ptr, s.store, s.db, s.clock, s.random, *bucket, lease_stop,
                    s.metrics, RetryPolicy{},
                    log::root().with("account", key.account).with("stream", key.stream),
                    1'000'000});
            };
            gen->scheduler->add_job(ScheduledJob{
                key, stream.interval,
                [runner_ptr, g, label, &s, name = account.name,
                 leased_cycle]() -> asio::awaitable<CycleOutcome> {
                    CycleOutcome outcome;
                    if (s.leases == nullptr) {
                        outcome = co_await runner_ptr->run_cycle();
                    } else {
                        auto lease_stop = co_await s.leases->wait_owned(name, *g->stop);
                        if (!lease_stop) {
                            outcome.stopped = true;
                            co_return outcome;
                        }
                        StreamRunner leased_runner = leased_cycle(*lease_stop);
                        s.leases->cycle_started(name);
                        try {
                            outcome = co_await leased_runner.run_cycle();
                        } catch (...) {
                            // Counted as ended, or the lease could never be given back.
                            s.leases->cycle_ended(name, std::nullopt);
                            throw;
                        }
                        s.leases->cycle_ended(name, outcome.error);
                    }
                    g->outcomes[label] = outcome;
                    notify_status(*g, label);
                    co_await save_account_metrics(s, name);
                    co_return outcome;
                }});
            rt->syncs.push_back(std::move(sync));
            rt->runners.push_back(std::move(runner));
        }
        gen->accounts.push_back(std::move(rt));
    }
    Store* store = &s.store;
    DbExecutor* db = &s.db;
    Generation* g = gen.get();
    gen->scheduler->on_park([store, db, g](const std::string& account,
                                           const std::string& reason) -> asio::awaitable<void> {
        g->parked.insert(account);
        // Named before co_await: GCC 12 frees a string-capturing closure temporary of a
        // co_await expression twice (see DbExecutor::run).
        auto park = [store, account, reason] {
            return store->set_account_state(account, "parked", reason);
        };
        auto st = co_await db->run(std::move(park));
        if (!st.ok()) log::root().warn("cannot record the parked state: {}", st.error().describe());
    });
    gen->scheduler->on_idle([store, db]() -> asio::awaitable<void> {
        auto release = [store] {
            store->release_memory();
            return true;  // DbExecutor::run needs a value
        };
        co_await db->run(std::move(release));
    });
    return gen;
}

}  // namespace

int run_daemon(Config config, const DaemonOptions& options) {
    asio::io_context ioc(1);
    DbExecutor db;
    SystemClock clock;
    StdRandom random;
    SyncMetrics metrics;
    // Installed before the store takes its lock: a SIGTERM that arrives during start-up is queued
    // by the signal_set and handled as a graceful stop, instead of killing the process.
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    if (!options.once) signals.add(SIGHUP);

    std::optional<replica::ReplicaIdentity> replica_identity;
    if (config.store.backend == "postgres" && !options.once) {
        char host[256] = {};
        if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
        replica_identity =
            replica::ReplicaIdentity{config.replicas.id.value_or(replica::default_replica_id(
                                         host, static_cast<long>(getpid()), random.uniform01())),
                                     host, static_cast<long>(getpid())};
        // Every connection of this process names its replica (pg_stat_activity, audits), unless
        // the operator chose a name.
        setenv("PGAPPNAME", ("commerce-syncd:" + replica_identity->id).c_str(), 0);
    }
    // The store opens on its own thread, like every later database call.
    auto opened = db.run_blocking([&] {
        StoreOpenOptions o;
        o.daemon_lock = true;
        o.migrate = true;
        return open_configured_store(config.store, clock, o);
    });
    if (!opened.ok()) {
        log::root().error("{}", opened.error().message);
        return kExitStore;
    }
    std::unique_ptr<OperationalStore> store = std::move(opened.value());

    auto register_accounts = [&](const Config& c) -> Status {
        return db.run_blocking([&]() -> Status {
            for (const auto& a : c.accounts) {
                if (auto st = store->register_account(a.name, a.platform); !st.ok()) return st;
                // A (re)loaded configuration gets a fresh chance: un-park its accounts.
                if (auto st = store->set_account_state(a.name, "ok", ""); !st.ok()) return st;
            }
            // The `catalogue` view joins the linked pairs the running configuration names.
            std::vector<std::pair<std::string, std::string>> links;
            for (const auto& a : c.accounts) {
                if (a.stock_from) links.emplace_back(a.name, *a.stock_from);
            }
            return store->set_account_links(links);
        });
    };
    if (auto st = register_accounts(config); !st.ok()) {
        log::root().error("{}", st.error().describe());
        return kExitStore;
    }

    auto states = db.run_blocking([&] { return load_account_states(*store, config); });
    if (!states.ok()) {
        log::root().error("{}", states.error().describe());
        return kExitStore;
    }
    // Replicas share the PostgreSQL store: each account is synced by the replica holding its
    // lease (always on with the postgres backend; sync-once is a one-off and takes no lease).
    std::unique_ptr<replica::PgLeaseTable> lease_table;
    std::unique_ptr<DbExecutor> lease_db;
    std::unique_ptr<replica::LeaseCoordinator> leases;
    StopSignal leases_stop(ioc.get_executor());
    if (replica_identity) {
        const replica::ReplicaIdentity& identity = *replica_identity;
        lease_db = std::make_unique<DbExecutor>();
        auto table = lease_db->run_blocking([&] {
            return replica::PgLeaseTable::open(config.store.dsn, identity, config.replicas.lease);
        });
        if (!table.ok()) {
            log::root().error("{}", table.error().describe());
            return kExitStore;
        }
        lease_table = std::move(table.value());
        leases = std::make_unique<replica::LeaseCoordinator>(replica::LeaseCoordinator::Deps{
            ioc.get_executor(), *lease_table, *lease_db, *store, db, clock,
            log::root().with("replica", identity.id), config.replicas.lease});
        std::vector<std::string> names;
        for (const auto& a : config.accounts) names.push_back(a.name);
        leases->set_accounts(std::move(names));
        log::root().info("replica {}: leases of {} ms on {} accounts", identity.id,
                         config.replicas.lease.count(), config.accounts.size());
        asio::co_spawn(ioc, leases->run(leases_stop), asio::detached);
    }
    Shared shared{ioc, db, *store, clock, random, metrics, options, leases.get()};
    auto first = build_generation(config, shared, std::move(states.value()));
    if (!first.ok()) {
        log::root().error("{}", first.error().message);
        return kExitUsage;
    }
    std::unique_ptr<Generation> current = std::move(first.value());

    bool stopping = false;
    bool exit_forced = false;
    std::optional<Config> pending_reload;

    // Status, health and metrics endpoint. Rebound by a SIGHUP reload that changes http.listen.
    std::unique_ptr<HttpServer> status_server;
    auto endpoint = std::make_shared<StatusEndpoint>(
        StatusEndpoint::Sources{&db, store.get(), &metrics, &clock, leases.get()});
    auto open_status_server = [&](const HttpListenConfig& listen) -> Status {
        status_server.reset();
        if (!options.serve_http || !listen.enabled) return Status{};
        HttpServerOptions so;
        so.host = listen.host;
        so.port = listen.port;
        auto server = std::make_unique<HttpServer>(
            ioc.get_executor(), so,
            [endpoint](ServerRequest req) -> asio::awaitable<ServerResponse> {
                co_return co_await endpoint->handle(std::move(req));
            });
        if (auto st = server->start(); !st.ok()) return st;
        status_server = std::move(server);
        log::root().info(
            "status endpoint on http://{}:{}/status (also /healthz, /readyz, "
            "/metrics)",
            listen.host, status_server->port());
        return Status{};
    };
    if (auto st = open_status_server(config.http); !st.ok()) {
        log::root().error("status endpoint: {}", st.error().message);
        return kExitUsage;
    }
    // Applies the parts of a reloaded configuration that live outside a generation.
    auto apply_daemon_settings = [&](const Config& before, const Config& next) {
        if (next.store.backend != before.store.backend || next.store.dsn != before.store.dsn) {
            log::root().warn(
                "reload: store.backend or store.dsn changed; it takes effect at the next restart, "
                "the daemon keeps writing to {}",
                store->location());
        }
        if (next.store.path != before.store.path) {
            log::root().warn(
                "reload: store.path changed to {}; it takes effect at the next restart, the "
                "daemon keeps writing to {}",
                next.store.path, before.store.path);
        }
        if (next.http == before.http) return;
        if (auto st = open_status_server(next.http); !st.ok()) {
            log::root().error("reload: status endpoint: {}; keeping the previous http.listen",
                              st.error().message);
            if (auto back = open_status_server(before.http); !back.ok()) {
                log::root().error("status endpoint: {}", back.error().message);
            }
        } else if (!status_server) {
            log::root().info("reload: status endpoint closed (http.listen: off)");
        }
    };

    // Ends the running generation's cycles after the page in flight (a reload or a stop).
    auto stop_generation = [&] {
        current->stop->request_stop();
        if (leases) leases->stop_cycles();
    };
    asio::steady_timer force_exit(ioc);
    auto begin_stop = [&](const char* why) {
        if (stopping) return;
        stopping = true;
        notify("STOPPING=1");
        log::root().info("{}: finishing the page in flight, then exiting", why);
        stop_generation();
        // A commit in flight takes milliseconds; a hung platform call is cancelled. Should
        // anything still hang, exit anyway before systemd's 10 s: SQLite keeps the file
        // consistent whatever the moment.
        force_exit.expires_after(std::chrono::milliseconds(9'000));
        force_exit.async_wait([&](boost::system::error_code ec) {
            if (ec) return;
            exit_forced = true;
            log::root().warn("stop took longer than 9 s; exiting now (the database is consistent)");
            ioc.stop();
        });
    };

    std::function<void()> wait_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                auto reloaded = config::load_config(current->config.source_path, platform_specs());
                if (!reloaded.ok()) {
                    log::root().error(
                        "SIGHUP: configuration {} is invalid, keeping the running "
                        "one:\n{}",
                        current->config.source_path, reloaded.error().message);
                } else {
                    log::root().info("SIGHUP: configuration reloaded from {}",
                                     current->config.source_path);
                    pending_reload = std::move(reloaded.value());
                    stop_generation();
                }
            } else {
                begin_stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
            }
            wait_signal();
        });
    };
    wait_signal();

    // systemd watchdog, when the unit asks for one.
    if (const std::string& why = service_notifier().warning(); !why.empty()) {
        log::root().warn("{}", why);
    }
    const auto watchdog_interval = service_notifier().watchdog_interval();
    asio::steady_timer watchdog(ioc);
    std::function<void()> pet;
    if (watchdog_interval) {
        pet = [&] {
            notify("WATCHDOG=1");
            watchdog.expires_after(*watchdog_interval / 2);
            watchdog.async_wait([&](boost::system::error_code ec) {
                if (!ec) pet();
            });
        };
        pet();
    }

    // Retention: a minute after start-up, then hourly, history older than `retention` is pruned
    // in small batches on the database thread, so commits and status reads interleave.
    asio::steady_timer prune_timer(ioc);
    bool loop_done = false;
    if (!options.once) {
        OperationalStore* db_store = store.get();
        asio::co_spawn(
            ioc,
            [&, db_store]() -> asio::awaitable<void> {
                boost::system::error_code ec;
                for (auto wait = std::chrono::minutes(1);; wait = std::chrono::minutes(60)) {
                    prune_timer.expires_after(wait);
                    co_await prune_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                    if (ec || stopping || loop_done) co_return;
                    const RetentionConfig retention = current->config.retention;
                    OperationalStore::PruneCount total;
                    while (!stopping && !loop_done) {
                        const UtcTime now =
                            std::chrono::time_point_cast<std::chrono::seconds>(clock.now());
                        const UtcTime runs_before =
                            now - std::chrono::duration_cast<std::chrono::seconds>(retention.runs);
                        const UtcTime changes_before =
                            now -
                            std::chrono::duration_cast<std::chrono::seconds>(retention.changes);
                        auto prune = [db_store, runs_before, changes_before] {
                            return db_store->prune_batch(runs_before, changes_before);
                        };
                        auto n = co_await db.run(std::move(prune));
                        if (!n.ok()) {
                            log::root().warn("retention: {}", n.error().describe());
                            break;
                        }
                        total.runs += n->runs;
                        total.changes += n->changes;
                        if (n->runs == 0 && n->changes == 0) break;
                    }
                    if (total.runs > 0 || total.changes > 0) {
                        log::root().info("retention: pruned {} runs and {} changes", total.runs,
                                         total.changes);
                    }
                }
            },
            asio::detached);
    }

    int exit_code = kExitOk;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            notify("READY=1");
            notify_status(*current, "");
            for (;;) {
                co_await current->scheduler->run(options.once);
                if (pending_reload && !stopping) {
                    Config next = std::move(*pending_reload);
                    pending_reload.reset();
                    apply_daemon_settings(current->config, next);
                    if (auto st = register_accounts(next); !st.ok()) {
                        log::root().error("reload: {}", st.error().describe());
                    }
                    if (leases) {
                        std::vector<std::string> names;
                        for (const auto& a : next.accounts) names.push_back(a.name);
                        leases->set_accounts(std::move(names));
                    }
                    log::init({next.log.level, next.log.format});
                    for (const auto& secret : config::secret_values(next)) log::add_secret(secret);
                    // The state as it is now: tokens rotated by the generation that just stopped.
                    auto read_states = [&store, &next] {
                        return load_account_states(*store, next);
                    };
                    auto next_states = co_await db.run(std::move(read_states));
                    if (!next_states.ok()) {
                        log::root().error("reload failed, stopping: {}",
                                          next_states.error().describe());
                        exit_code = kExitStore;
                        break;
                    }
                    auto gen =
                        build_generation(std::move(next), shared, std::move(next_states.value()));
                    if (gen.ok()) {
                        current = std::move(gen.value());
                        // A SIGHUP taken while this generation was being built stopped the one
                        // before it: stop this one at once, so the newer file is applied too.
                        if (pending_reload) stop_generation();
                        continue;
                    }
                    log::root().error("reload failed, stopping: {}", gen.error().message);
                    exit_code = kExitUsage;
                }
                break;
            }
            if (options.once) {
                bool any_failed = false, any_auth = false;
                for (const auto& [label, outcome] : current->outcomes) {
                    if (outcome.error) {
                        any_failed = true;
                        if (outcome.error->kind == ErrorKind::auth) any_auth = true;
                    }
                }
                if (any_auth)
                    exit_code = kExitAuth;
                else if (any_failed)
                    exit_code = kExitSyncFailed;
            }
            loop_done = true;
            // Every stream has ended: the leases go back to the other replicas now.
            leases_stop.request_stop();
            prune_timer.cancel();
            force_exit.cancel();
            signals.cancel();
            watchdog.cancel();
            if (status_server) status_server->stop();
        },
        [&](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    log::root().error("daemon loop failed: {}", ex.what());
                }
                exit_code = kExitSyncFailed;
                ioc.stop();
            }
        });

    ioc.run();
    // A database call still running (the forced-exit path: a commit in flight) must finish
    // before anything it uses is destroyed: the store below, the generation's objects.
    db.join();
    if (exit_forced) {
        // Coroutines left suspended in the stopped io_context still point into the generation
        // and the store; destroying them in any order risks a use after free. The commit in
        // flight has finished (or rolled back) and SQLite's file is consistent: leave now.
        spdlog::shutdown();
        std::fflush(nullptr);
        std::_Exit(kExitOk);
    }
    return exit_code;
}

}  // namespace csync::app
