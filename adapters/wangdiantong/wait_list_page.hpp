#pragma once
// getSelfWaitSyncIdListOpen's answer, the stock stream's most frequent page, read with simdjson's
// on-demand parser straight into ids: no JSON document, no per-id allocation.
//
// Only the common shape takes the fast path: {"status":0,...,"data":{"id_list":[ids...],
// "position":N}} with integer (or integer text) ids. Anything else (a refusal, a body simdjson
// refuses, an id of another type) is read by the general path, read_envelope then
// parse_wait_list, so errors are typed and lists read exactly as there.

#include <cstdint>
#include <memory>
#include <vector>

#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"
#include "wangdiantong/stock_stream.hpp"

namespace csync::wangdiantong {

class WaitListReader {
  public:
    WaitListReader();
    ~WaitListReader();
    WaitListReader(const WaitListReader&) = delete;
    WaitListReader& operator=(const WaitListReader&) = delete;

    // What parse_wait_list(read_envelope(response, received_unix)) gives, errors included.
    Result<WaitList> read(const HttpResponse& response, std::int64_t received_unix);

    // Whether the last answer was read on the fast path (benchmarks and tests look).
    bool fast() const noexcept { return fast_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    bool fast_ = false;
};

}  // namespace csync::wangdiantong
