#pragma once
// A StreamSync that answers fetch_page from a script, one entry per call: a page, an error, an
// exception (an adapter bug), or "block until cancelled" (a fetch in flight when a stop
// arrives). It records the cursor of every call and every after_commit, so a test can check
// what the engine asked for and acknowledged.
// An unscripted call answers a config error naming the call, so a test that under-scripts fails
// loudly instead of hanging.
// Thread affinity: the io_context's thread (as the engine calls it). Throws only when scripted to.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "csync/ports/platform_adapter.hpp"

namespace csync::testing {

class ScriptedStream final : public StreamSync {
  public:
    ScriptedStream() = default;
    explicit ScriptedStream(std::vector<Result<Page>> script) {
        for (auto& answer : script) push(std::move(answer));
    }

    // A page with the given records and cursor; `requests` platform calls.
    static Page page(PageRecords records, nlohmann::json next_cursor, bool cycle_done = false,
                     std::int64_t requests = 1) {
        Page p;
        p.records = std::move(records);
        p.next_cursor = std::move(next_cursor);
        p.cycle_done = cycle_done;
        p.requests = requests;
        return p;
    }

    void push(Result<Page> answer) { script_.push_back(Step{std::move(answer), {}}); }
    // The next call suspends until the engine cancels it (stop), then answers
    // Error::cancelled as a well-behaved adapter does.
    void push_block() { script_.push_back(Step{std::nullopt, {}}); }
    // The next call throws std::runtime_error(what): an adapter bug.
    void push_throw(std::string what) { script_.push_back(Step{std::nullopt, std::move(what)}); }

    // The n-th after_commit call (1-based) fails with `error`.
    void fail_after_commit_at(int n, Error error) {
        ack_failures_.insert_or_assign(n, std::move(error));
    }

    boost::asio::awaitable<Result<Page>> fetch_page(const nlohmann::json& cursor) override {
        const int call = ++fetch_calls_;
        cursors_.push_back(cursor);
        if (on_fetch) on_fetch(call, cursor);
        if (call > static_cast<int>(script_.size())) {
            co_return Error::config("ScriptedStream: no answer scripted for fetch #" +
                                    std::to_string(call) + " (script has " +
                                    std::to_string(script_.size()) + ")");
        }
        const Step& step = script_[static_cast<std::size_t>(call - 1)];
        if (step.answer) co_return *step.answer;
        if (step.throw_what) throw std::runtime_error(*step.throw_what);

        // Blocked: only a cancellation should end this wait. The real-time limit turns a test
        // that forgot to cancel into a failure instead of a hang.
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, kBlockLimit);
        auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (!ec) {
            co_return Error::transient("ScriptedStream: blocked fetch #" + std::to_string(call) +
                                       " was never cancelled");
        }
        ++cancelled_fetches_;
        co_return Error::cancelled("ScriptedStream: fetch #" + std::to_string(call) + " cancelled");
    }

    boost::asio::awaitable<Status> after_commit(Page& page) override {
        const int call = ++after_commit_calls_;
        committed_cursors_.push_back(page.next_cursor);
        acks_.push_back(page.ack);
        if (on_after_commit) on_after_commit(call, page);
        if (auto it = ack_failures_.find(call); it != ack_failures_.end()) co_return it->second;
        co_return Status{};
    }

    bool fetches_ahead_of_commit() const override { return fetch_ahead; }

    // Whether the engine may fetch page N+1 while page N commits (off: the engine's default).
    bool fetch_ahead = false;
    // Hooks run synchronously at the start of each call (e.g. to request a stop, or to check
    // what the store holds when the engine acknowledges).
    std::function<void(int call, const nlohmann::json& cursor)> on_fetch;
    std::function<void(int call, Page& page)> on_after_commit;

    int fetch_calls() const { return fetch_calls_; }
    int after_commit_calls() const { return after_commit_calls_; }
    int cancelled_fetches() const { return cancelled_fetches_; }
    // The cursor of every fetch_page call, in order.
    const std::vector<nlohmann::json>& cursors() const { return cursors_; }
    // next_cursor and ack of every page passed to after_commit, in order.
    const std::vector<nlohmann::json>& committed_cursors() const { return committed_cursors_; }
    const std::vector<nlohmann::json>& acks() const { return acks_; }

  private:
    struct Step {
        std::optional<Result<Page>> answer;     // nullopt: throw or block until cancelled
        std::optional<std::string> throw_what;  // set: throw std::runtime_error
    };
    static constexpr std::chrono::seconds kBlockLimit{20};

    std::vector<Step> script_;
    std::map<int, Error> ack_failures_;
    std::vector<nlohmann::json> cursors_;
    std::vector<nlohmann::json> committed_cursors_;
    std::vector<nlohmann::json> acks_;
    int fetch_calls_ = 0;
    int after_commit_calls_ = 0;
    int cancelled_fetches_ = 0;
};

}  // namespace csync::testing
