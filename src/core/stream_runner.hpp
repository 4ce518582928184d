#pragma once
// Runs one cycle of one (account, stream): load the committed cursor, then fetch a page, commit
// its records and the next cursor in one transaction, acknowledge, repeat until the adapter says
// the cycle has caught up. Retries follow RetryPolicy; a failure never advances the cursor.

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/db_executor.hpp"
#include "core/retry_policy.hpp"
#include "core/stop_signal.hpp"
#include "core/sync_metrics.hpp"
#include "core/token_bucket.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "csync/ports/store.hpp"
#include "log/log.hpp"

namespace csync {

struct CycleOutcome {
    RunSummary summary;
    std::optional<Error> error;  // the error that ended the cycle early
    bool completed = false;      // reached cycle_done (false: failed or stopped)
    bool stopped = false;        // ended by a stop request, with the database consistent
};

struct StreamRunnerDeps {
    StreamKey key;
    StreamSync& sync;
    Store& store;  // used only on the database thread, through `db`
    DbExecutor& db;
    Clock& clock;
    Random& random;
    TokenBucket& bucket;  // paused when the platform rate-limits us
    StopSignal& stop;
    SyncMetrics& metrics;
    RetryPolicy retry;
    log::Logger logger;
    std::int64_t max_pages_per_cycle = 1'000'000;  // a safety net against a looping platform
};

class StreamRunner {
  public:
    explicit StreamRunner(StreamRunnerDeps deps) : d_(std::move(deps)) {}
    boost::asio::awaitable<CycleOutcome> run_cycle();

  private:
    // Fetches one page with retries; nullopt when stopped.
    boost::asio::awaitable<std::optional<Result<Page>>> fetch_with_retry(
        const nlohmann::json& cursor, RunSummary& summary);
    // Commits `page` on the database thread while fetching the page after it (streams that
    // fetch ahead of commit). The fetch is cancelled when the commit fails; `ahead` is left
    // empty then, and nullopt inside when a stop ended the fetch.
    boost::asio::awaitable<Result<ApplyStats>> commit_fetching_ahead(
        std::int64_t run_id, const Page& page, RunSummary& summary,
        std::optional<std::optional<Result<Page>>>& ahead);
    // Drops a page fetched ahead that will not be committed, counting its requests.
    void count_unused_fetch(std::optional<std::optional<Result<Page>>>& ahead, RunSummary& summary);
    // Records a watermark stream's committed position for the cursor-lag metric.
    void note_watermark(const nlohmann::json& cursor);

    StreamRunnerDeps d_;
};

}  // namespace csync
