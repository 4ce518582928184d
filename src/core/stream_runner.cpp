#include "core/stream_runner.hpp"

#include <chrono>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "core/until_stopped.hpp"

namespace csync {
namespace {

UtcTime now_utc(Clock& clock) {
    return std::chrono::time_point_cast<std::chrono::seconds>(clock.now());
}

// The requests a failed fetch sent: as the adapter counted them (failed_fetch), else one (and the
// client's resends) for a failure an answer or the network gave, none for a local one.
std::int64_t requests_sent_by(const Error& err) {
    if (err.requests) return *err.requests;
    switch (err.kind) {
        case ErrorKind::config:
        case ErrorKind::storage:
        case ErrorKind::cancelled:
            return 0;
        default:
            return 1 + err.resent;
    }
}

}  // namespace

void StreamRunner::note_watermark(const nlohmann::json& cursor) {
    auto at = d_.sync.watermark(cursor);
    if (!at) return;
    d_.metrics.update({d_.key.account, d_.key.stream},
                      [&](StreamMetrics& m) { m.watermark_unix = at->time_since_epoch().count(); });
}

boost::asio::awaitable<std::optional<Result<Page>>> StreamRunner::fetch_with_retry(
    const nlohmann::json& cursor, RunSummary& summary) {
    const auto key = std::make_pair(d_.key.account, d_.key.stream);
    for (int failures = 1;; ++failures) {
        auto fetched = co_await until_stopped(d_.sync.fetch_page(cursor), d_.stop);
        if (!fetched) co_return std::nullopt;
        Result<Page>& page = *fetched;
        if (page.ok()) co_return std::move(page);

        const Error& err = page.error();
        // Abandoned by the engine (the commit it overlapped failed): not the platform's error.
        if (err.kind == ErrorKind::cancelled &&
            (co_await boost::asio::this_coro::cancellation_state).cancelled() !=
                boost::asio::cancellation_type::none) {
            co_return std::nullopt;
        }
        // Every request the failed attempt sent counts, its successful calls and resends too.
        const std::int64_t sent = requests_sent_by(err);
        summary.requests += sent;
        d_.metrics.update(key, [&](StreamMetrics& m) { m.requests += sent; });
        if (err.kind == ErrorKind::cancelled && d_.stop.stop_requested()) co_return std::nullopt;
        d_.metrics.update(key,
                          [&](StreamMetrics& m) { ++m.errors[std::string(to_string(err.kind))]; });
        auto decision = d_.retry.decide(err, failures, d_.random);
        if (!decision.retry) co_return std::move(page);

        if (err.kind == ErrorKind::rate_limited) d_.bucket.pause_for(decision.delay);
        d_.logger.warn("page fetch failed ({}), retry {} in {} ms", err.describe(), failures,
                       decision.delay.count());
        d_.metrics.update(key, [](StreamMetrics& m) { ++m.retries; });
        if (!co_await sleep_until_stopped(d_.clock, decision.delay, d_.stop))
            co_return std::nullopt;
    }
}

void StreamRunner::count_unused_fetch(std::optional<std::optional<Result<Page>>>& ahead,
                                      RunSummary& summary) {
    // The requests were sent all the same: runs and metrics count every platform call.
    if (ahead && *ahead && (*ahead)->ok()) {
        const std::int64_t sent = (*ahead)->value().requests;
        summary.requests += sent;
        d_.metrics.update({d_.key.account, d_.key.stream},
                          [&](StreamMetrics& m) { m.requests += sent; });
    }
    ahead.reset();
}

boost::asio::awaitable<Result<ApplyStats>> StreamRunner::commit_fetching_ahead(
    std::int64_t run_id, const Page& page, RunSummary& summary,
    std::optional<std::optional<Result<Page>>>& ahead) {
    using namespace boost::asio::experimental::awaitable_operators;
    // A failed commit ends the pair with an exception, so `&&` cancels the fetch at once
    // instead of waiting out its retries. The commit itself is never cancelled (DbExecutor).
    struct CommitFailed {};
    Store& store = d_.store;
    const StreamKey skey = d_.key;
    std::optional<Result<ApplyStats>> applied;
    // Named closures, not temporaries of the co_await expression (GCC 12, see DbExecutor::run).
    auto commit = [&]() -> boost::asio::awaitable<void> {
        auto apply = [&store, skey, run_id, &page] {
            return store.apply_page(skey, run_id, page.records, page.next_cursor);
        };
        applied.emplace(co_await d_.db.run(std::move(apply)));
        if (!applied->ok()) throw CommitFailed{};
    };
    auto fetch = [&]() -> boost::asio::awaitable<void> {
        auto next = co_await fetch_with_retry(page.next_cursor, summary);
        ahead.emplace(std::move(next));
    };
    try {
        co_await (commit() && fetch());
    } catch (...) {
        // The fetch's own failure (an adapter bug) propagates as it would unpipelined; after a
        // failed commit whatever the cancelled fetch threw is moot.
        if (!applied || applied->ok()) throw;
        count_unused_fetch(ahead, summary);
    }
    co_return std::move(*applied);
}

boost::asio::awaitable<CycleOutcome> StreamRunner::run_cycle() {
    CycleOutcome out;
    const auto key = std::make_pair(d_.key.account, d_.key.stream);
    const auto started = d_.clock.steady_now();
    Store& store = d_.store;
    const StreamKey skey = d_.key;

    // Closures are named before co_await: GCC 12 corrupts closure temporaries of a co_await
    // expression that capture strings (see DbExecutor::run).
    auto begin = [&store, skey, t = now_utc(d_.clock)] { return store.begin_run(skey, t); };
    auto run_id = co_await d_.db.run(std::move(begin));
    if (!run_id.ok()) {
        out.error = run_id.error();
        d_.logger.error("cannot record the run start: {}", run_id.error().describe());
        co_return out;
    }
    log::Logger logger = d_.logger.with("run", std::to_string(*run_id));
    d_.metrics.update(key, [](StreamMetrics& m) { m.running = true; });

    auto load = [&store, skey] { return store.load_cursor(skey); };
    auto cursor_r = co_await d_.db.run(std::move(load));
    nlohmann::json cursor;
    if (!cursor_r.ok()) {
        out.error = cursor_r.error();
    } else if (cursor_r->has_value()) {
        cursor = **cursor_r;
        note_watermark(cursor);
    }

    // The page fetched while the previous one committed (streams that fetch ahead); nullopt
    // inside: a stop ended that fetch.
    std::optional<std::optional<Result<Page>>> ahead;
    while (!out.error) {
        if (d_.stop.stop_requested()) {
            count_unused_fetch(ahead, out.summary);
            out.stopped = true;
            break;
        }
        if (out.summary.pages >= d_.max_pages_per_cycle) {
            logger.warn(
                "cycle stopped after {} pages (max_pages_per_cycle); it continues from "
                "the committed cursor next time",
                out.summary.pages);
            break;
        }
        std::optional<Result<Page>> fetched;
        if (ahead) {
            fetched = std::move(*ahead);
            ahead.reset();
        } else {
            fetched = co_await fetch_with_retry(cursor, out.summary);
        }
        if (!fetched) {
            out.stopped = true;
            break;
        }
        if (!fetched->ok()) {
            out.error = fetched->error();
            break;
        }
        Page page = std::move(fetched->value());
        out.summary.requests += page.requests;

        // The page's records and its cursor commit together, or neither does. Not raced against
        // stop: a commit in flight always finishes. A stream whose next page depends only on the
        // cursor fetches it meanwhile; it commits on the next turn, after this one.
        const bool fetch_ahead = d_.sync.fetches_ahead_of_commit() && !page.cycle_done &&
                                 out.summary.pages + 1 < d_.max_pages_per_cycle &&
                                 !d_.stop.stop_requested();
        std::optional<Result<ApplyStats>> applied_or;
        if (fetch_ahead) {
            applied_or.emplace(co_await commit_fetching_ahead(*run_id, page, out.summary, ahead));
        } else {
            auto apply = [&store, skey, rid = *run_id, &page] {
                return store.apply_page(skey, rid, page.records, page.next_cursor);
            };
            applied_or.emplace(co_await d_.db.run(std::move(apply)));
        }
        Result<ApplyStats>& applied = *applied_or;
        if (!applied.ok()) {
            out.error = applied.error();
            logger.error("page not applied, cursor kept: {}", applied.error().describe());
            break;
        }
        out.summary.pages += 1;
        out.summary.stats += *applied;
        d_.metrics.update(key, [&](StreamMetrics& m) {
            m.pages += 1;
            m.requests += page.requests;
            m.inserted += applied->inserted;
            m.updated += applied->updated;
            m.unchanged += applied->unchanged;
            m.deleted += applied->deleted;
            m.dead_lettered += applied->dead_lettered;
        });
        logger.debug("page {} committed: {} records, +{} ~{} ={} dead={}", out.summary.pages,
                     page.records.size(), applied->inserted, applied->updated, applied->unchanged,
                     applied->dead_lettered);

        const std::int64_t fetch_requests = page.requests;
        // Acknowledgements honour stop (hundreds of them at a slow rate would outlast the stop
        // promise): what is not acknowledged the platform re-delivers, and re-applying it
        // changes nothing.
        auto acked_or_stopped = co_await until_stopped(d_.sync.after_commit(page), d_.stop);
        Status acked = acked_or_stopped
                           ? std::move(*acked_or_stopped)
                           : Status(Error::cancelled(
                                 "acknowledgements stopped by shutdown (the platform re-delivers "
                                 "the rest)"));
        if (const auto ack_requests = page.requests - fetch_requests; ack_requests > 0) {
            out.summary.requests += ack_requests;
            d_.metrics.update(key, [&](StreamMetrics& m) { m.requests += ack_requests; });
        }
        if (!acked.ok()) {
            logger.warn("acknowledgement failed (the platform re-delivers): {}",
                        acked.error().describe());
            d_.metrics.update(key, [](StreamMetrics& m) { ++m.ack_failures; });
        }
        cursor = std::move(page.next_cursor);
        note_watermark(cursor);
        if (page.cycle_done) {
            out.completed = true;
            break;
        }
    }

    out.summary.finished_at = now_utc(d_.clock);
    if (out.error)
        out.summary.error = out.error->describe();
    else if (out.stopped)
        out.summary.error = "stopped before the cycle completed (cursor kept)";
    auto finish = [&store, rid = *run_id, s = out.summary] { return store.finish_run(rid, s); };
    auto finished = co_await d_.db.run(std::move(finish));
    if (!finished.ok()) logger.warn("cannot record the run end: {}", finished.error().describe());

    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(d_.clock.steady_now() - started);
    d_.metrics.update(key, [&](StreamMetrics& m) {
        m.running = false;
        m.cycles += 1;
        m.last_cycle_ms = ms.count();
        m.observe_duration(static_cast<double>(ms.count()) / 1000.0);
        if (out.error) {
            m.cycles_failed += 1;
            m.last_error = log::redact(out.error->describe());
        } else if (out.completed) {
            m.last_success_unix = unix_seconds(d_.clock);
            m.last_error.clear();
        }
    });
    if (out.error) {
        logger.error("cycle failed after {} pages: {}", out.summary.pages, out.error->describe());
    } else {
        logger.info(
            "cycle {} in {} ms: {} pages, {} requests, {} inserted, {} updated, {} "
            "unchanged, {} dead-lettered",
            out.completed ? "completed" : "interrupted", ms.count(), out.summary.pages,
            out.summary.requests, out.summary.stats.inserted, out.summary.stats.updated,
            out.summary.stats.unchanged, out.summary.stats.dead_lettered);
    }
    co_return out;
}

}  // namespace csync
