#pragma once
// A local Sunsky: deterministic catalogue and category tree from a seed, product!search.do,
// product!detail.do and category!getChildren.do with the platform's envelope, ordering
// (gmtModified, then id), inclusive gmtModifiedStart, 1-based pages (default 40, max 100),
// signature check (NO_PERMISSION_DUE_TO_SIGNATURE) and per-minute call budget
// (UP_TO_API_CALL_LIMIT_IN_MINUTE). Time comes from SimOptions.now, in SimOptions.timezone.
//
// The catalogue has many records sharing one timestamp (a "bulk import" block of about an
// eighth of the products, plus short runs of equal times), so paging across equal-timestamp
// blocks is always exercised.
//
// Platform-specific control route:
//   POST /__sim/sunsky/user-status?active=0|1   key disabled -> NO_PERMISSION_DUE_TO_USER_STATUS
//   POST /__sim/sunsky/corrupt?count=N          N products get an unreadable price ("n/a") and a
//                                               new gmtModified: records a client must park as
//                                               dead letters without blocking the stream;
//                                               answers {"corrupted":[itemNo,...]}
//   POST /__sim/sunsky/late-commit?count=N&seconds=S
//                                               N products change now but carry a gmtModified S
//                                               seconds old, as a write that became visible after
//                                               its timestamp; answers {"late":[itemNo,...]}
//   POST /__sim/sunsky/same-time?count=N&seconds_ago=S
//                                               the first N products (default all) share one
//                                               gmtModified S seconds ago (default 3600): a block
//                                               of equal times across many pages; answers
//                                               {"items":N,"gmtModified":"..."}
// Orders: see simulator_orders.hpp (order!getOrderList.do, order!getOrderDetails.do, and the
// control routes under /__sim/sunsky/orders). /__sim/mutate also moves as many orders on.
// Images: see simulator_images.hpp (product!getImageChangeList.do, product!getImages.do).
// Balance, bills and countries: see simulator_account.hpp.

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/sim/simulated_platform.hpp"
#include "sunsky/simulator_account.hpp"
#include "sunsky/simulator_images.hpp"
#include "sunsky/simulator_orders.hpp"

namespace csync::sunsky {

class SunskySimulator final : public SimulatedPlatform {
  public:
    // Throws std::invalid_argument without credentials "key" and "secret" or with a bad zone.
    explicit SunskySimulator(SimOptions options);

    SimResponse handle(const SimRequest& request) override;
    std::string truth_ndjson() override;
    std::size_t mutate(std::size_t count) override;
    SimResponse rate_limit_response() const override;
    SimResponse control(const SimRequest& request) override;

    // Test helpers.
    // Gives every product the same gmtModified (one block of equal timestamps).
    void set_all_modified(LocalTime t);
    // Modifies one product now (as mutate does); false when no such itemNo.
    bool touch(const std::string& item_no);
    // itemNo at `position` in the platform's order (gmtModified, id); "" past the end.
    std::string item_at(std::size_t position) const;
    std::size_t product_count() const { return products_.size(); }
    std::size_t category_count() const { return categories_.size(); }
    std::int64_t api_calls() const { return api_calls_; }
    SimOrderBook& orders() { return *orders_book_; }
    SimImageLibrary& images() { return *image_library_; }
    LocalTime now_local() const;

  private:
    struct Item {
        nlohmann::json record;  // the platform's own record format
        LocalTime modified{};
        std::int64_t id = 0;
    };
    struct CategoryNode {
        nlohmann::json record;
        LocalTime modified{};
        std::int64_t id = 0;
        std::int64_t parent = 0;
    };
    using Key = std::pair<LocalTime, std::int64_t>;  // (gmtModified, id): the result order

    void generate();
    void modify(std::size_t index, LocalTime when);
    void set_modified(std::size_t index, LocalTime when);
    std::uint64_t next_random() { return rng_(); }

    SimResponse search(const std::map<std::string, std::string>& params);
    SimResponse detail(const std::map<std::string, std::string>& params);
    SimResponse categories(const std::map<std::string, std::string>& params);
    bool in_category(std::int64_t category, std::int64_t wanted) const;

    SimOptions options_;
    TimeZone zone_;
    std::string key_;
    std::string secret_;
    std::mt19937_64 rng_;
    std::vector<Item> products_;
    std::map<std::string, std::size_t> by_item_no_;
    std::set<Key> order_;
    std::map<std::int64_t, std::size_t> index_of_id_;
    std::vector<CategoryNode> categories_;
    std::unique_ptr<SimOrderBook> orders_book_;
    std::unique_ptr<SimImageLibrary> image_library_;
    std::unique_ptr<SimAccount> account_;
    bool key_active_ = true;
    std::int64_t api_calls_ = 0;
    MinuteBudget budget_;
};

}  // namespace csync::sunsky
