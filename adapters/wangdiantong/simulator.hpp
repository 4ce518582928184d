#pragma once
// A local Wangdiantong flagship ERP, as far as the StockSync family goes: it verifies requests
// exactly as the gateway does (sign over the decoded query and the raw body bytes, the 120 s
// timestamp window, v == 1.0), keeps a stock model whose figures change over time, hands out the
// ids waiting for a sync ordered by disable_syn_until with `position` paging, and clears an id
// on syncSuccess only if its stock_change_count has not moved since it was calculated.
//
// Waiting-set model (the notes' inference, section 3): each waiting id has disable_syn_until
// (seconds since the 2012 epoch). getSelfWaitSyncIdListOpen(count, position) lists the waiting
// ids with position <= disable_syn_until <= now, ordered by (disable_syn_until, rec_id), and
// leases them: their disable_syn_until becomes now + lease, so they are listed again only once
// the lease ran out without an acknowledgement. The answer's position is the (pre-lease)
// disable_syn_until of the last listed id; paging is inclusive (>=). A stock change makes the id
// waiting again at once (disable_syn_until = now).
//
// The notes leave two points open (section 3, open question 4); each has a switch so that the
// daemon is tested under every plausible reading (SimOptions::readings, commerce-sim
// --reading NAME=VALUE, POST /__sim/reading?NAME=VALUE):
//   lease=on|off                    on (default): listing re-times an id as above. off: an id
//                                   listed or failed but not cleared keeps its disable_syn_until
//                                   and stays waiting at the same place.
//   position=inclusive|exclusive    the next list starts at disable_syn_until >= position
//                                   (default) or > position.

#include <cstdint>
#include <deque>
#include <map>
#include <memory_resource>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/sim/simulated_platform.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {

class WangdiantongSimulator final : public SimulatedPlatform {
  public:
    explicit WangdiantongSimulator(SimOptions options);

    SimResponse handle(const SimRequest& request) override;
    std::string truth_ndjson() override;
    std::size_t mutate(std::size_t count) override;
    SimResponse rate_limit_response() const override;
    // GET /__sim/waiting, POST /__sim/lease?seconds=N, POST /__sim/clock?offset=S,
    // POST /__sim/calc_fail?rec_id=N[&on=0], POST /__sim/batch?enabled=0|1,
    // POST /__sim/position?omit=1|0, POST /__sim/reading?lease=on|off&position=inclusive|exclusive.
    SimResponse control(const SimRequest& request) override;

    // For in-process tests.
    std::size_t waiting() const;
    std::vector<std::int64_t> rec_ids() const;
    // Also re-times the leases running now: each ends `s` seconds after its id was listed.
    void set_lease_seconds(std::int64_t s);
    void set_clock_offset(std::int64_t s) { clock_offset_ = s; }
    void set_calc_fail(std::int64_t rec_id, bool on);
    void set_batch_enabled(bool on) { batch_enabled_ = on; }
    void set_omit_position(bool on) { omit_position_ = on; }
    void set_lease_reading(bool on) { lease_reading_ = on; }
    void set_exclusive_position(bool on) { exclusive_position_ = on; }
    // Changes the stock of one record now (as mutate does for random ones).
    bool change_stock(std::int64_t rec_id);
    std::optional<std::int64_t> stock_change_count(std::int64_t rec_id) const;
    bool is_waiting(std::int64_t rec_id) const;
    // Calls per method name, and the acknowledgements accepted / ignored as stale.
    const std::map<std::string, std::uint64_t>& calls() const { return calls_; }
    std::uint64_t acks_accepted() const { return acks_accepted_; }
    std::uint64_t acks_stale() const { return acks_stale_; }
    std::uint64_t sync_fails() const { return sync_fails_; }

  private:
    // Waiting ids by (disable_syn_until, rec_id): the order the wait list pages in. Its nodes
    // come from a pool of their own: freed one per acknowledgement into malloc's bins, they
    // fragmented the heap until every large allocation spent its time coalescing them.
    using Queue = std::pmr::set<std::pair<std::int64_t, std::int64_t>>;

    struct Rec {
        std::int64_t rec_id = 0;
        std::int64_t goods_id = 0;
        std::int64_t spec_id = 0;
        std::string outer_id;
        std::string spec_outer_id;
        std::string match_code;
        std::int64_t stock_e4 = 0;  // syn_stock x 10000 (Decimal(19,4))
        std::int64_t stock_num_e4 = 0;
        std::int64_t change_count = 0;
        std::int64_t modified = 0;  // 2012-epoch seconds
        std::int64_t last_syn_e4 = 0;
        std::int64_t last_syn_time = 0;  // 2012-epoch seconds, 0: never
        std::int64_t rule_id = 0;
        std::string warehouses;
        bool waiting = false;
        Queue::iterator queued;  // its entry in queue_ while waiting
        std::int64_t disable_syn_until = 0;
        std::int64_t leased_at = -1;  // 2012-epoch seconds of the listing; -1: not leased
        bool calc_fail = false;
    };

    std::int64_t now_unix() const;
    std::int64_t now_wdt() const { return to_wdt_timestamp(now_unix()); }
    std::string local_time_text(std::int64_t wdt_seconds) const;
    std::string record_json(const Rec& r) const;
    const Rec* find(std::int64_t rec_id) const;
    Rec* find(std::int64_t rec_id);
    void set_waiting(Rec& r, std::int64_t disable_until);
    void clear_waiting(Rec& r);
    void bump_stock(Rec& r);
    std::uint64_t draw() { return rng_(); }

    SimResponse answer(const nlohmann::json& envelope) const;
    SimResponse status(int code, std::string_view message) const;
    SimResponse call(const std::string& method, const nlohmann::json& args);
    SimResponse wait_list(const nlohmann::json& args);
    SimResponse calc_stock(const nlohmann::json& args);
    SimResponse batch_calc(const nlohmann::json& args);
    SimResponse sync_ack(const nlohmann::json& args, bool success);
    SimResponse cancel_sync(const nlohmann::json& args);
    bool rate_limited();
    // Applies one reading (NAME=VALUE, see above); an error text when unknown.
    std::optional<std::string> apply_reading(const std::string& name, const std::string& value);

    SimOptions options_;
    std::optional<TimeZone> zone_;  // of the platform's naive times (SimOptions.timezone)
    Credentials creds_;
    std::mt19937_64 rng_;
    std::vector<Rec> recs_;
    // recs_ is in rec_id order (as generated), so an id is found by binary search, and queue_
    // entries are reached through Rec::queued: serving an id costs the same at any catalogue size.
    std::pmr::unsynchronized_pool_resource queue_pool_;
    Queue queue_{&queue_pool_};
    std::int64_t lease_seconds_ = 300;
    std::int64_t clock_offset_ = 0;
    bool batch_enabled_ = true;
    bool omit_position_ = false;
    bool lease_reading_ = true;
    bool exclusive_position_ = false;
    std::deque<std::int64_t> recent_calls_;  // unix seconds, for the per-minute limit
    std::map<std::string, std::uint64_t> calls_;
    std::uint64_t acks_accepted_ = 0;
    std::uint64_t acks_stale_ = 0;
    std::uint64_t sync_fails_ = 0;
};

}  // namespace csync::wangdiantong
