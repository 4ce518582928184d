// `dead-letters retry` with the real binaries: a record the mapping refused is stored once the
// condition is fixed, beside a running daemon and without moving its cursors; a letter that only
// the platform can bring back is refused with what to do, and the exit code says so.
#include <csignal>
#include <sstream>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string config_text(const TempDir& dir, const Simulator& sim, bool keep_unknown_status) {
    return "store: { path: " + (dir / "store.db").string() +
           " }\n"
           "http: { listen: \"off\" }\n"
           "accounts:\n"
           "  - name: sun\n"
           "    platform: sunsky\n"
           "    base_url: " +
           sim.base_url() +
           "\n"
           "    credentials: { key: k, secret: s }\n"
           "    rate_limit: { per_second: 1000, burst: 100 }\n"
           "    streams:\n"
           "      products: { interval: 1h, keep_unknown_status: " +
           (keep_unknown_status ? "true" : "false") +
           " }\n"
           "      images: { interval: 1h, size: 64 }\n";
}

// The unresolved letters of `stream`, by record key -> id.
std::map<std::string, std::string> letters(const fs::path& db, const std::string& stream) {
    std::map<std::string, std::string> out;
    for (auto& row : query_rows(db, "SELECT record_key, id FROM dead_letters WHERE stream = '" +
                                        stream + "' AND resolved_at IS NULL")) {
        out[row[0]] = row[1];
    }
    return out;
}

TEST(DeadLettersEndToEnd, RetryStoresWhatMapsNowAndExplainsWhatCannot) {
    TempDir dir;
    Simulator sim(
        dir, "sunsky",
        {"--seed", "7", "--products", "40", "--key", "k", "--secret", "s", "--rate-limit", "0"});
    const json odd = sim.post_json("/__sim/sunsky/unknown-status?count=2&status=9");
    ASSERT_EQ(odd["unknown_status"].size(), 2u) << odd.dump();
    const json image_truth = sim.get_json("/__sim/sunsky/images");
    ASSERT_FALSE(image_truth.empty());
    const std::string damaged = image_truth.items().begin().key();
    sim.post_json("/__sim/sunsky/images/corrupt?item=" + damaged);
    const fs::path config = dir / "c.yaml";
    const fs::path db = dir / "store.db";
    write_file(config, config_text(dir, sim, /*keep_unknown_status=*/false));
    const std::string cfg = config.string();

    auto synced = run({syncd_bin(), "sync-once", "-c", cfg}, 120s);
    ASSERT_EQ(synced.exit_code, 0) << synced.output;
    EXPECT_EQ(query_one(db, "SELECT count(*) FROM products"), "38");
    auto product_letters = letters(db, "products");
    ASSERT_EQ(product_letters.size(), 2u);
    auto image_letters = letters(db, "images");
    ASSERT_EQ(image_letters.size(), 1u);
    const std::string image_letter = image_letters.begin()->second;
    std::vector<std::string> product_ids;
    for (const auto& [key, id] : product_letters) product_ids.push_back(id);

    // The mapping still refuses them: the letters stay, with the reason, and the exit says so.
    auto refused = run({syncd_bin(), "dead-letters", "retry", product_ids[0], "-c", cfg}, 30s);
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_NE(refused.output.find("still does not map: unknown product status 9"),
              std::string::npos)
        << refused.output;
    EXPECT_EQ(query_one(db, "SELECT attempts FROM dead_letters WHERE id = " + product_ids[0]), "2");
    EXPECT_EQ(letters(db, "products").size(), 2u);

    // The daemon runs (and holds its lock) while the operator fixes the condition and retries.
    // Both streams' start-up runs must be over before the cursors are read: on a busy machine
    // the images run can end after the products run.
    Process daemon({syncd_bin(), "run", "-c", cfg}, dir / "daemon.log");
    ASSERT_TRUE(eventually(
        [&] {
            return query_one(db,
                             "SELECT count(*) FROM sync_runs WHERE stream IN ('products', 'images')"
                             " AND finished_at IS NOT NULL") == "4";
        },
        60s))
        << daemon.output();
    const auto cursors_before = query_rows(db, "SELECT * FROM sync_state ORDER BY stream");
    write_file(config, config_text(dir, sim, /*keep_unknown_status=*/true));

    auto retried = run({syncd_bin(), "dead-letters", "retry", product_ids[0], product_ids[1],
                        image_letter, "999999", "-c", cfg},
                       30s);
    // Two stored; the image letter and the unknown id are not: exit 1, each one named.
    EXPECT_EQ(retried.exit_code, 1) << retried.output;
    for (const std::string& id : product_ids) {
        EXPECT_NE(retried.output.find("dead letter " + id + " (sun/products itemNo="),
                  std::string::npos)
            << retried.output;
    }
    EXPECT_NE(retried.output.find("stored (1 inserted, 0 updated, 0 unchanged) and resolved"),
              std::string::npos)
        << retried.output;
    EXPECT_NE(retried.output.find("dead letter " + image_letter + " (sun/images itemNo=" + damaged +
                                  "): not retried: sunsky image letters"),
              std::string::npos)
        << retried.output;
    EXPECT_NE(retried.output.find("reset-cursor sun images"), std::string::npos) << retried.output;
    EXPECT_NE(retried.output.find("dead-letters dismiss " + image_letter), std::string::npos)
        << retried.output;
    EXPECT_NE(retried.output.find("dead letter 999999: unknown id"), std::string::npos)
        << retried.output;
    EXPECT_NE(retried.output.find("2 of 4 dead letter(s) not stored"), std::string::npos)
        << retried.output;

    EXPECT_TRUE(daemon.running()) << daemon.output();
    EXPECT_EQ(query_one(db, "SELECT count(*) FROM products"), "40");
    for (const auto& item : odd["unknown_status"]) {
        const std::string id = item.get<std::string>();
        EXPECT_EQ(query_one(db,
                            "SELECT status || ' ' || platform_status FROM products"
                            " WHERE external_id = '" +
                                id + "'"),
                  "inactive 9");
        EXPECT_EQ(query_one(db, "SELECT count(*) FROM changes WHERE external_id = '" + id +
                                    "' AND op = 'insert' AND run_id IS NULL"),
                  "1");
    }
    EXPECT_TRUE(letters(db, "products").empty());
    EXPECT_EQ(letters(db, "images").size(), 1u);
    EXPECT_EQ(query_rows(db, "SELECT * FROM sync_state ORDER BY stream"), cursors_before);

    // Retrying a resolved letter is nothing to do, not a failure.
    auto again = run({syncd_bin(), "dead-letters", "retry", product_ids[0], "-c", cfg}, 30s);
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("already resolved"), std::string::npos) << again.output;

    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(20s), 0) << daemon.output();
}

}  // namespace
}  // namespace csync::it
