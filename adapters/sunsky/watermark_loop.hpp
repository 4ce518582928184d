#pragma once
// One page of a gmtModifiedStart T0 loop against the platform (product!search.do,
// product!getImageChangeList.do): the cursor rule of watermark.hpp, the stream options
// `modified_since` and `lookback`, and the cycle's start. The caller maps the rows.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "csync/config.hpp"
#include "log/log.hpp"
#include "sunsky/caller.hpp"
#include "sunsky/watermark.hpp"

namespace csync::sunsky {

struct WatermarkPage {
    std::vector<nlohmann::json> rows;
    nlohmann::json next_cursor;
    bool cycle_done = false;
};

class WatermarkLoop {
  public:
    // `method`: the paged list call, e.g. "product!search". `extra` parameters go with every call.
    WatermarkLoop(Caller& caller, std::string method, const StreamConfig& stream, int page_size,
                  log::Logger logger);

    boost::asio::awaitable<Result<WatermarkPage>> next(const nlohmann::json& cursor, Params extra);
    // The same step with the answer read by `read`, which keeps the rows and reports what the
    // cursor rule needs (WatermarkPage::rows stays empty).
    using PageReader = std::function<Result<PageSeen>(const HttpResponse&)>;
    boost::asio::awaitable<Result<WatermarkPage>> next_read(const nlohmann::json& cursor,
                                                            Params extra, PageReader read);
    // The platform time a committed cursor has synced up to (UTC); nullopt when never synced.
    std::optional<UtcTime> watermark(const nlohmann::json& cursor) const;

  private:
    Caller& caller_;
    std::string method_;
    int page_size_;
    Result<LocalTime> initial_t0_;
    std::chrono::seconds lookback_;
    log::Logger logger_;
    std::optional<LocalTime> cycle_start_;  // platform local time; set by a cycle's first call
};

// The stream options every gmtModified stream reads.
Result<LocalTime> modified_since(const StreamConfig& stream);
std::chrono::seconds lookback(const StreamConfig& stream);

}  // namespace csync::sunsky
