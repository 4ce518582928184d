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
//   POST /__sim/sunsky/unknown-status?count=N&status=S
//                                               N products get status S (default 9, a code the
//                                               seed's appendix B does not list) and a new
//                                               gmtModified; answers {"unknown_status":[...]}
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
#include <optional>
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
    // A product as a few numbers: its record is rendered from them when a call needs it, so a
    // large catalogue costs tens of bytes per product and a page costs the same at any size.
    struct Item {
        LocalTime modified{};
        std::int64_t first_price = 0;  // 1/10000 units, as generated (priceList's quantity break)
        std::int64_t price = 0;        // 1/10000 units, current
        std::int64_t stock = 0;
        std::uint64_t barcode = 0;
        std::uint32_t group = 0;  // variant group number: groupItemNo and the shared fields
        std::int32_t category = 0;
        std::uint8_t variant = 0;
        std::uint8_t variants = 1;
        std::uint8_t brand = 0;
        std::uint8_t noun = 0;
        std::uint8_t model = 0;
        std::uint8_t first_decimals = 2;
        std::uint8_t decimals = 2;
        std::int8_t status = 1;
        bool corrupt = false;  // price unreadable ("n/a"), see /__sim/sunsky/corrupt
    };
    struct CategoryNode {
        nlohmann::json record;
        LocalTime modified{};
        std::int64_t id = 0;
        std::int64_t parent = 0;
    };
    // (gmtModified, position in products_): the result order, as (gmtModified, id) since ids
    // rise with the position.
    using Key = std::pair<LocalTime, std::uint32_t>;

    nlohmann::json record(std::size_t index) const;
    std::string item_no(std::size_t index) const;
    std::optional<std::size_t> index_of(std::string_view item_no) const;
    // Puts the products whose gmtModified changed (`moved`) at their new place in order_.
    void reorder(const std::vector<std::size_t>& moved);
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
    std::vector<std::uint32_t> group_first_;  // group number -> position of its first variant
    std::vector<Key> order_;                  // sorted
    std::vector<CategoryNode> categories_;
    std::unique_ptr<SimOrderBook> orders_book_;
    std::unique_ptr<SimImageLibrary> image_library_;
    std::unique_ptr<SimAccount> account_;
    bool key_active_ = true;
    std::int64_t api_calls_ = 0;
    MinuteBudget budget_;
};

}  // namespace csync::sunsky
