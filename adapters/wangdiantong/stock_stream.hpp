#pragma once
// The `stock` stream: getSelfWaitSyncIdListOpen -> batchCalcStock (calcStock where the batch call
// is refused) -> StockLevel rows and dead letters -> after the commit, syncSuccess / syncFail.
// Each cycle lists from position 0 and pages by the position each list returns; the cursor
// {"position": N, "in_cycle": true} is stored only to resume a cycle that was interrupted, and a
// finished cycle stores {"position": 0}. This converges whether or not the ERP re-times ids that
// were listed but not cleared, and whether it pages from >= or > position (notes, section 7.4).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "csync/config.hpp"
#include "csync/domain/records.hpp"
#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/ports/clock.hpp"
#include "csync/ports/http_client.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "log/log.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {

inline constexpr int kMinCount = 10;
inline constexpr int kMaxCount = 5000;

// getSelfWaitSyncIdListOpen's data: {"id_list":[...], "position": N (optional)}.
struct WaitList {
    std::vector<std::int64_t> ids;  // in the platform's order, duplicates removed
    std::optional<std::int64_t> position;
    std::size_t listed = 0;  // ids in the answer, duplicates included (a short list ends a cycle)
};
Result<WaitList> parse_wait_list(const nlohmann::json& data);

// One calc record (calcStock data, batchCalcStock success_date[i]) -> a stock_levels row.
// `modified` (a naive platform time or epoch milliseconds), when present, is converted to UTC
// with the account's zone. Errors are bad_response (the record is dead-lettered).
Result<StockLevel> map_stock_record(const nlohmann::json& record, const TimeZone& zone);

// The `info` object of syncSuccess / syncFail, copied from the calc record (numbers keep their
// exact literal text), plus stock_syn_other "", is_syn_success, is_manual 1 and syn_result.
std::string ack_info(const nlohmann::json& record, bool success, std::string_view result);
// The `info` of a syncFail for an id that has no calc record (the calc itself failed):
// stock_change_count -1 (as cancelSync uses it: "whatever the current count is").
std::string ack_info_without_record(std::string_view result);

// Signs and sends one call with the current clock; reads the envelope. Error messages never
// contain a credential (they are scrubbed).
class Client {
  public:
    Client(const AccountConfig& account, HttpClient& http, Clock& clock, Credentials credentials)
        : account_(account), http_(http), clock_(clock), creds_(std::move(credentials)) {}

    // Adds to `requests` every request put on the wire, one the HTTP client sent again itself
    // included (so runs and metrics report what the platform saw). `reader` replaces
    // read_envelope for a hot answer a page reader reads itself (it keeps what it reads; the
    // call then gives null); it is given the answer and the receiving time in unix seconds.
    using Reader = std::function<Status(const HttpResponse&, std::int64_t received_unix)>;
    boost::asio::awaitable<Result<nlohmann::json>> call(std::string method, std::string body,
                                                        std::int64_t& requests, Reader reader = {});
    std::string scrub(std::string text) const;
    const Credentials& credentials() const noexcept { return creds_; }

  private:
    const AccountConfig& account_;
    HttpClient& http_;
    Clock& clock_;
    Credentials creds_;
};

struct StockStreamOptions {
    int count = 500;                    // ids per getSelfWaitSyncIdListOpen, 10..5000
    std::size_t calc_batch_size = 100;  // ids per batchCalcStock
    bool ack = true;                    // account option `ack`
};

// Reads the stream's options from its configuration (page_size, calc_batch_size, account ack).
StockStreamOptions stock_stream_options(const AccountConfig& account, const StreamConfig& stream);

// `clock` and `random` pace the retries of rate-limited acknowledgements (RetryPolicy); both
// must outlive the stream.
StreamSyncPtr make_stock_stream(std::shared_ptr<Client> client, TimeZone zone,
                                StockStreamOptions options, log::Logger logger, Clock& clock,
                                Random& random);

}  // namespace csync::wangdiantong
