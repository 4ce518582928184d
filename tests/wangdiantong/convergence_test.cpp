// The stock stream converges under every plausible reading of the ERP's open points (notes,
// section 7.4): whether an id listed but not cleared is re-timed later (a lease) or stays waiting
// where it was, and whether the next list starts at >= or > position. Each test runs under all
// four combinations of the simulator's switches.
#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "csync/domain/decimal.hpp"
#include "tests_support.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {
namespace {

using nlohmann::json;
using testing::SimRig;

struct Reading {
    bool lease = true;
    bool exclusive = false;
};

std::string reading_name(const ::testing::TestParamInfo<Reading>& info) {
    return std::string(info.param.lease ? "Lease" : "NoLease") +
           (info.param.exclusive ? "Exclusive" : "Inclusive");
}

class UnderEachReading : public ::testing::TestWithParam<Reading> {
  protected:
    void read_as(SimRig& rig) {
        rig.sim->set_lease_reading(GetParam().lease);
        rig.sim->set_exclusive_position(GetParam().exclusive);
    }
};

std::string method_of(const HttpRequest& r) {
    for (const auto& [k, v] : parse_form(r.url.substr(r.url.find('?') + 1))) {
        if (k == "method") return v;
    }
    return {};
}

// What the daemon's store would hold: rec_id -> exact quantity.
using Store = std::map<std::string, std::string>;

void store_page(Store& store, const Page& page) {
    for (const StockLevel& l : page.records.stock_levels) store[l.external_id] = l.quantity.text();
}

std::map<std::string, std::string> canonical(std::map<std::string, std::string> m) {
    for (auto& [id, q] : m) q = Decimal::parse(q)->text();
    return m;
}

// Syncs (each cycle as a fresh process would) until a cycle stores nothing; returns the cursor.
json sync_to_quiet(SimRig& rig, Store& store, json cursor) {
    for (int cycle = 0; cycle < 30; ++cycle) {
        auto stream = rig.stream();
        auto c = rig.run_cycle(*stream, cursor);
        EXPECT_FALSE(c.error) << c.error->message;
        std::size_t stored = 0;
        for (const Page& p : c.pages) {
            store_page(store, p);
            stored += p.records.stock_levels.size() + p.records.dead_letters.size();
        }
        cursor = c.cursor;
        rig.clock.advance(std::chrono::seconds{1});
        if (stored == 0) return cursor;
    }
    ADD_FAILURE() << "no quiet after 30 cycles";
    return cursor;
}

TEST_P(UnderEachReading, OneCycleStoresTheTruthAndClearsEveryId) {
    SimRig rig(237, true, 50, 20);
    read_as(rig);
    Store store;
    sync_to_quiet(rig, store, nullptr);
    EXPECT_EQ(store, canonical(rig.truth_stock()));
    EXPECT_EQ(rig.sim->waiting(), 0u);
}

// Stock changing after every id list, 2% of the ids failing their calc, and the process killed
// six times mid-sync (between the commit of a page and its acknowledgements, or before a page
// was committed); then synced to quiet: nothing is left waiting that could be synced and every
// id is stored with the ERP's figure.
TEST_P(UnderEachReading, KilledRepeatedlyMidSyncThenSyncedToQuietConverges) {
    SimRig rig(600, true, 50, 20);
    read_as(rig);
    std::mt19937 rng(42);
    const auto ids = rig.sim->rec_ids();
    std::vector<std::int64_t> failing;
    for (std::size_t i = 5; i < ids.size(); i += 50) failing.push_back(ids[i]);  // 2%
    for (std::int64_t id : failing) rig.sim->set_calc_fail(id, true);
    bool changing = true;
    rig.http->after_call = [&](const HttpRequest& req, HttpResponse&) {
        if (changing && method_of(req) == kWaitList) rig.sim->mutate(3);
    };

    Store store;
    json cursor;  // the committed cursor, as the database holds it
    for (int kill = 0; kill < 6; ++kill) {
        auto stream = rig.stream();  // a new process
        const int pages = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < pages; ++i) {
            auto page = rig.fetch(*stream, cursor);
            ASSERT_TRUE(page.ok()) << page.error().message;
            rig.clock.advance(std::chrono::seconds{1});
            const bool killed_before_commit = i == pages - 1 && kill % 2 == 1;
            if (killed_before_commit) break;
            store_page(store, *page);
            cursor = page->next_cursor;
            if (i == pages - 1) break;  // killed between the commit and the acknowledgements
            ASSERT_TRUE(rig.ack(*stream, *page).ok());
            if (page->cycle_done) break;
        }
    }

    changing = false;
    for (std::int64_t id : failing) rig.sim->set_calc_fail(id, false);
    rig.clock.advance(std::chrono::seconds{301});  // past any lease running now
    sync_to_quiet(rig, store, cursor);

    EXPECT_EQ(rig.sim->waiting(), 0u) << "ids left waiting that could have been synced";
    const auto truth = canonical(rig.truth_stock());
    std::size_t never_stored = 0;
    for (const auto& [id, q] : truth) never_stored += store.count(id) == 0 ? 1 : 0;
    EXPECT_EQ(never_stored, 0u);
    EXPECT_EQ(store, truth);
}

INSTANTIATE_TEST_SUITE_P(Readings, UnderEachReading,
                         ::testing::Values(Reading{true, false}, Reading{true, true},
                                           Reading{false, false}, Reading{false, true}),
                         reading_name);

}  // namespace
}  // namespace csync::wangdiantong
