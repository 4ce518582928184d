#pragma once
// The platform port. Each platform (adapters/<name>/) implements it and owns its whole wire
// contract: signer, request builder, pure JSON -> model mapping. The engine (core/stream_runner)
// owns everything generic: retries, backoff, rate limiting, transactions, scheduling.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "csync/config.hpp"
#include "csync/domain/records.hpp"
#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/platform_spec.hpp"
#include "csync/ports/adapter_store.hpp"
#include "csync/ports/clock.hpp"
#include "csync/ports/http_client.hpp"

namespace csync {

// One page of a stream: the records, and the cursor that follows them. The store commits both
// in one transaction; only then is after_commit() called.
struct Page {
    PageRecords records;
    nlohmann::json next_cursor;  // persisted as the stream's cursor
    bool cycle_done = false;     // true: this cycle has caught up; the next one starts later
    std::int64_t requests = 0;   // platform calls this page cost (for sync_runs and metrics)
    nlohmann::json ack;          // adapter data for after_commit (e.g. ids to acknowledge)
};

// A page fetch that fails reports the requests it had sent on its error, so runs and metrics
// count every request the platform saw, a failed page's included.
inline Error failed_fetch(Error error, std::int64_t requests) {
    error.requests = requests;
    return error;
}

class StreamSync {
  public:
    virtual ~StreamSync() = default;

    // Fetches the page after `cursor` (null: the stream's initial position). It must have no
    // side effect on the platform: the engine may call it again with the same cursor after a
    // failure. Failures come back typed; the engine retries per the retry policy.
    virtual boost::asio::awaitable<Result<Page>> fetch_page(const nlohmann::json& cursor) = 0;

    // Called once the page and its cursor are committed (acknowledgements to the platform).
    // Adds the platform calls it makes to page.requests, so runs and metrics count every call.
    // A failure here is logged and counted; the platform re-delivers what was not acknowledged,
    // and applying it again changes nothing.
    virtual boost::asio::awaitable<Status> after_commit(Page& page) {
        (void)page;
        co_return Status{};
    }

    // True when the page after page N depends on nothing but N's next_cursor (no
    // acknowledgement changes what the platform answers next): the engine then fetches page
    // N+1 while page N commits. N+1 still commits only after N, and never when N's commit fails.
    virtual bool fetches_ahead_of_commit() const { return false; }

    // For watermark streams: the platform time a committed cursor has synced up to (UTC), so
    // the engine can report how far behind the platform the copy is. nullopt: not a watermark
    // stream, or the cursor does not name one yet.
    virtual std::optional<UtcTime> watermark(const nlohmann::json& cursor) const {
        (void)cursor;
        return std::nullopt;
    }
};
using StreamSyncPtr = std::unique_ptr<StreamSync>;

// One raw signed call, for `commerce-syncd api` (integrators debugging a platform).
struct RawCall {
    std::string method;  // the platform's method name, e.g. "product!search" or
                         // "sales.StockSync.getSelfWaitSyncIdListOpen"
    std::vector<std::pair<std::string, std::string>> params;  // -p NAME=VALUE
    std::optional<std::string> body;                          // --body, sent byte for byte
    std::optional<std::int64_t> at_unix;                      // --at: fixes the clock
};

struct AdapterDeps {
    const AccountConfig& account;  // outlives the adapter
    HttpClient& http;              // already rate limited per account
    Clock& clock;
    TimeZone zone;  // the account's zone of naive platform timestamps
    // The account's state as stored when the adapter is built (empty when none, or no store).
    AccountState account_state{};
    // The store, for the daemon and `sync-once` (outlives the adapter). nullptr for commands
    // that run beside the daemon (`api`, dry runs): they read the state above, write nothing
    // and never refresh a token.
    AdapterStore* store = nullptr;
};

class PlatformAdapter {
  public:
    virtual ~PlatformAdapter() = default;
    virtual const PlatformSpec& spec() const = 0;
    // nullptr-free: the stream name was validated against spec() by the config loader.
    virtual StreamSyncPtr make_stream(const StreamConfig& stream) = 0;
    // The exact, signed request a raw call puts on the wire.
    virtual Result<HttpRequest> build_raw_call(const RawCall& call) const = 0;
    // Reads the platform's answer to a raw call as its streams read every answer: ok, or the
    // typed error its HTTP status or envelope reports (so `api` can exit non-zero on a refusal
    // that came inside an HTTP 200).
    virtual Status read_raw_response(const HttpResponse& response) const = 0;
    // Sends a raw call itself when it takes more than the one request build_raw_call makes (an
    // app token to fetch first, which touches no state the daemon holds); the answer is the
    // call's last response. nullopt: the caller sends build_raw_call's request.
    virtual boost::asio::awaitable<std::optional<Result<HttpResponse>>> send_raw_call(
        const RawCall& call) {
        (void)call;
        co_return std::nullopt;
    }
    // Credential values to mask when a request is printed (keys, secrets, salts, tokens).
    virtual std::vector<std::string> secret_values() const = 0;
    // `dead-letters retry`: maps a dead letter's stored payload (the raw record as received by
    // `stream`) again, offline, with this binary's mapping and the account's current options.
    // Ok: the records to store; `dead_letters` non-empty means the record still does not map
    // (its error says why). Error::config: letters of this kind cannot be re-mapped without the
    // platform; the message says what brings the record in instead (the caller adds how to
    // dismiss the letter).
    virtual Result<PageRecords> remap_dead_letter(const std::string& stream,
                                                  const std::string& payload) const {
        (void)payload;
        return Error::config(spec().name + " cannot re-map a '" + stream +
                             "' letter offline: its stream reads the record again from the "
                             "platform on a later cycle while the platform still offers it");
    }
};
using PlatformAdapterPtr = std::unique_ptr<PlatformAdapter>;

}  // namespace csync
