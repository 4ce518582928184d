// Throughput and memory of a full sync, in process: the real adapter and stream runner against
// the real simulator (no sockets, so the figure is the engine's, not loopback's) into a real
// SQLite store on disk. Prints its figures; asserts nothing about speed.
//
//   sync_bench [--platform sunsky|wangdiantong|qianmi|wshoto] [--records N] [--page-size P] [--db
//   PATH]

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "core/db_executor.hpp"
#include "core/executor_adapter_store.hpp"
#include "core/stop_signal.hpp"
#include "core/stream_runner.hpp"
#include "core/system_clock.hpp"
#include "core/token_bucket.hpp"
#include "fakes/sim_http_client.hpp"
#include "log/log.hpp"
#include "registry.hpp"
#include "sim_registry.hpp"
#include "store/sqlite_store.hpp"

namespace {

long peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
    std::string platform = "sunsky";
    std::size_t records = 10'000;
    int page_size = 100;
    std::string db_path = (std::filesystem::temp_directory_path() / "csync-bench.db").string();
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--platform")
            platform = argv[i + 1];
        else if (a == "--records")
            records = std::stoul(argv[i + 1]);
        else if (a == "--page-size")
            page_size = std::stoi(argv[i + 1]);
        else if (a == "--db")
            db_path = argv[i + 1];
        else {
            std::cerr
                << "usage: sync_bench [--platform P] [--records N] [--page-size P] [--db PATH]\n";
            return 2;
        }
    }
    csync::log::init({"warn", "text"});
    const csync::PlatformRegistration* reg = csync::find_platform(platform);
    if (!reg) {
        std::cerr << "unknown platform " << platform << '\n';
        return 2;
    }
    const csync::PlatformSpec& spec = reg->spec();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);

    csync::SystemClock clock;
    csync::StdRandom random(1);
    csync::SimOptions sim_options;
    sim_options.seed = 42;
    sim_options.products = records;
    csync::AccountConfig account;
    account.name = "bench";
    account.platform = platform;
    // Qianmi's base_url is the gateway URL, path included.
    account.base_url = platform == "qianmi" ? "http://bench.invalid/api" : "http://bench.invalid";
    account.timezone = spec.default_timezone;
    for (const auto& c : spec.required_credentials) {
        std::string value = c == "appsecret" ? "bench-secret:bench-salt" : "bench-" + c;
        account.credentials[c] = value;
        sim_options.credentials[c] = value;
    }
    for (const auto& o : spec.account_options) account.options[o.name] = o.default_value;
    auto sim = csync::find_simulator(platform)->make(sim_options);
    if (platform == "sunsky") {
        // As many orders as products, all placed today: the orders stream reads each with its
        // details (one call per order).
        csync::SimRequest create;
        create.method = "POST";
        create.path = "/__sim/sunsky/orders/create";
        create.query = {{"count", std::to_string(records)}};
        (void)sim->control(create);
    }
    csync::testing::SimHttpClient http(*sim);
    csync::RateLimitConfig unlimited{1e9, 1e9};
    csync::TokenBucket bucket(clock, unlimited);

    csync::DbExecutor db;
    auto opened = db.run_blocking([&] {
        csync::SqliteStore::OpenOptions o;
        return csync::SqliteStore::open(db_path, clock, o);
    });
    if (!opened.ok()) {
        std::cerr << opened.error().message << '\n';
        return 3;
    }
    auto& store = *opened.value();
    (void)db.run_blocking([&] { return store.register_account("bench", platform); });

    auto zone = csync::TimeZone::from_name(account.timezone);
    // The store's reads for adapters and the account state, as the daemon wires them.
    csync::ExecutorAdapterStore adapter_store(store, db, "bench");
    auto adapter =
        reg->make_adapter(csync::AdapterDeps{account, http, clock, *zone, {}, &adapter_store});
    boost::asio::io_context ioc(1);
    csync::StopSignal stop(ioc.get_executor());
    csync::SyncMetrics metrics;

    std::printf("%-14s %-12s %10s %10s %8s %10s %12s %14s\n", "platform", "stream", "records",
                "inserted", "pages", "seconds", "records/s", "peak RSS MiB");
    for (const auto& stream_spec : spec.streams) {
        csync::StreamConfig stream;
        stream.name = stream_spec.name;
        stream.interval = stream_spec.default_interval;
        stream.page_size =
            stream_spec.default_page_size
                ? std::min(page_size,
                           stream_spec.max_page_size ? stream_spec.max_page_size : page_size)
                : 0;
        for (const auto& o : stream_spec.options) stream.options[o.name] = o.default_value;
        // Sunsky images: small ones (as the demo), into a folder removed at the end.
        if (stream.name == "images") {
            stream.options["size"] = "100";
            stream.options["folder"] = db_path + "-images";
        }
        auto sync = adapter->make_stream(stream);
        csync::StreamRunner runner(csync::StreamRunnerDeps{{"bench", stream.name},
                                                           *sync,
                                                           store,
                                                           db,
                                                           clock,
                                                           random,
                                                           bucket,
                                                           stop,
                                                           metrics,
                                                           csync::RetryPolicy{},
                                                           csync::log::root(),
                                                           1'000'000});
        auto t0 = std::chrono::steady_clock::now();
        auto fut = boost::asio::co_spawn(
            ioc,
            [&]() -> boost::asio::awaitable<std::optional<csync::CycleOutcome>> {
                co_return co_await runner.run_cycle();
            },
            boost::asio::use_future);
        ioc.restart();
        ioc.run();
        auto outcome = fut.get();
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto& s = outcome->summary;
        long long n =
            s.stats.inserted + s.stats.updated + s.stats.unchanged + s.stats.dead_lettered;
        // records: every record the cycle stored or confirmed unchanged (a discovery pass lists
        // some ids twice); inserted: the distinct new ones.
        std::printf("%-14s %-12s %10lld %10lld %8lld %10.3f %12.0f %14.1f\n", platform.c_str(),
                    stream.name.c_str(), n, static_cast<long long>(s.stats.inserted),
                    static_cast<long long>(s.pages), secs,
                    secs > 0 ? static_cast<double>(n) / secs : 0.0, peak_rss_kib() / 1024.0);
        if (outcome->error) {
            std::cerr << "stream " << stream.name << " failed: " << outcome->error->describe()
                      << '\n';
            return 1;
        }
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
    std::filesystem::remove_all(db_path + "-images");
    return 0;
}
