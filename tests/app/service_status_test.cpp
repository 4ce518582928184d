// The STATUS= line systemctl shows: accounts ok/parked and how the last cycle ended.
#include "app/service_status.hpp"

#include <gtest/gtest.h>

namespace csync::app {
namespace {

TEST(ServiceStatusLine, BeforeAnyCycleCountsAccounts) {
    EXPECT_EQ(service_status_line(2, 0, {}), "accounts: 2 ok, 0 parked; no cycle yet");
}

TEST(ServiceStatusLine, ASuccessfulCycleShowsItsFiguresAndTime) {
    CycleOutcome o;
    o.completed = true;
    o.summary.pages = 3;
    o.summary.stats.inserted = 250;
    o.summary.stats.updated = 4;
    o.summary.finished_at = UtcTime{std::chrono::seconds{1'700'000'000}};
    EXPECT_EQ(service_status_line(2, 1, {"wdt-main/stock", &o}),
              "accounts: 1 ok, 1 parked; last cycle: wdt-main/stock ok, 3 pages, 250 inserted, "
              "4 updated at 2023-11-14T22:13:20Z");
}

TEST(ServiceStatusLine, AFailedCycleNamesTheErrorKindOnly) {
    CycleOutcome o;
    o.error = Error::auth("signature rejected sign=abc");
    EXPECT_EQ(service_status_line(1, 1, {"sunsky-main/products", &o}),
              "accounts: 0 ok, 1 parked; last cycle: sunsky-main/products failed (auth)");
}

}  // namespace
}  // namespace csync::app
