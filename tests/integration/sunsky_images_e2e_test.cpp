// Sunsky images end to end: the real daemon downloads the simulator's real ZIP archives and keeps
// every image as a file named by its SHA-256. Files match the platform's, an image change leaves
// no orphan, a damaged archive or one with a "../" entry is dead-lettered while the stream goes
// on, and the disk budget stops downloads with a clear error.
#include <set>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct ImagesEnv {
    TempDir dir;
    std::unique_ptr<Simulator> sim;
    fs::path config;
    fs::path db;
    fs::path folder;

    explicit ImagesEnv(const std::string& image_options = "size: 64") {
        sim = std::make_unique<Simulator>(
            dir, "sunsky",
            std::vector<std::string>{"--seed", "13", "--products", "40", "--key", "images-it",
                                     "--secret", "images-it-secret", "--rate-limit", "0"});
        config = dir / "config.yaml";
        db = dir / "store.db";
        folder = dir / "store-images";
        write_file(config, "store: { path: " + db.string() +
                               " }\n"
                               "http: { listen: \"off\" }\n"
                               "accounts:\n"
                               "  - name: images-it\n"
                               "    platform: sunsky\n"
                               "    base_url: " +
                               sim->base_url() +
                               "\n"
                               "    credentials: { key: images-it, secret: images-it-secret }\n"
                               "    rate_limit: { per_second: 1000, burst: 100 }\n"
                               "    streams:\n"
                               "      images: { interval: 1h, " +
                               image_options + " }\n");
    }

    RunResult sync() { return run({syncd_bin(), "sync-once", "-c", config.string()}, 120s); }

    // Every regular file under the image folder.
    std::set<std::string> files() const {
        std::set<std::string> out;
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(folder, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it->is_regular_file()) out.insert(it->path().string());
        }
        return out;
    }
};

// The store's rows equal the simulator's images, and the folder holds exactly their files.
void expect_images_match(ImagesEnv& env, const std::set<std::string>& skipped = {}) {
    const json truth = env.sim->get_json("/__sim/sunsky/images");
    std::set<std::string> named;
    for (const auto& [item, hashes] : truth.items()) {
        if (skipped.contains(item)) continue;
        auto rows = query_rows(
            env.db, "SELECT sha256, file_path FROM images WHERE product_external_id = '" + item +
                        "' ORDER BY position");
        ASSERT_EQ(rows.size(), hashes.size()) << item;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            EXPECT_EQ(rows[i][0], hashes[i].get<std::string>()) << item;
            EXPECT_EQ(fs::path(rows[i][1]).filename().string(), rows[i][0]);
            EXPECT_TRUE(fs::path(rows[i][1]).string().starts_with(env.folder.string()));
            named.insert(rows[i][1]);
        }
    }
    for (auto& r : query_rows(env.db, "SELECT file_path FROM images")) named.insert(r[0]);
    EXPECT_EQ(env.files(), named) << "no orphan file, no missing file";
}

TEST(SunskyImagesEndToEnd, FilesMatchThePlatformAndAnImageChangeLeavesNoOrphan) {
    ImagesEnv env;
    auto first = env.sync();
    ASSERT_EQ(first.exit_code, 0) << first.output;
    expect_images_match(env);
    EXPECT_GT(env.files().size(), 40u);
    env.sim->post_json("/__sim/sunsky/images/change?count=10");
    auto second = env.sync();
    ASSERT_EQ(second.exit_code, 0) << second.output;
    expect_images_match(env);
    EXPECT_GE(std::stoll(query_one(env.db,
                                   "SELECT count(*) FROM changes WHERE entity = 'image'"
                                   " AND op = 'update'")),
              1);
}

TEST(SunskyImagesEndToEnd, BadArchivesAreDeadLetteredAndTheStreamGoesOn) {
    ImagesEnv env;
    const json truth = env.sim->get_json("/__sim/sunsky/images");
    auto it = truth.items().begin();
    const std::string corrupt = it.key();
    const std::string escape = (++it).key();
    env.sim->post_json("/__sim/sunsky/images/corrupt?item=" + corrupt);
    env.sim->post_json("/__sim/sunsky/images/escape?item=" + escape);
    auto r = env.sync();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_images_match(env, {corrupt, escape});
    auto letters = query_rows(env.db,
                              "SELECT record_key, error FROM dead_letters"
                              " WHERE stream = 'images' ORDER BY record_key");
    ASSERT_EQ(letters.size(), 2u);
    std::map<std::string, std::string> by_key;
    for (auto& l : letters) by_key[l[0]] = l[1];
    EXPECT_NE(by_key["itemNo=" + corrupt].find("does not unpack"), std::string::npos);
    EXPECT_NE(by_key["itemNo=" + escape].find("outside"), std::string::npos);
    // Nothing landed outside the folder.
    EXPECT_FALSE(fs::exists(env.dir / "escaped.jpg"));
    EXPECT_FALSE(fs::exists(env.folder.parent_path().parent_path() / "escaped.jpg"));
}

TEST(SunskyImagesEndToEnd, TheDiskBudgetStopsDownloadsWithAClearError) {
    ImagesEnv env("size: 800, disk_budget_mb: 1");  // 40 KiB images, about 3 MiB in all
    auto r = env.sync();
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("budget of 1 MiB"), std::string::npos) << r.output;
    auto used = 0ull;
    for (const std::string& f : env.files()) used += fs::file_size(f);
    EXPECT_LE(used, 1024ull * 1024ull);
    // What was stored is whole: every row's file is there, no file without its row.
    std::set<std::string> named;
    for (auto& row : query_rows(env.db, "SELECT file_path FROM images")) named.insert(row[0]);
    EXPECT_EQ(env.files(), named);
}

// The budget is checked before each download, not only when a page is stored: once the folder
// has reached it, a cycle lists the changes and fetches no archive.
TEST(SunskyImagesEndToEnd, AnExhaustedBudgetDownloadsNothing) {
    ImagesEnv env("size: 800, disk_budget_mb: 64");  // 40 KiB images, about 3 MiB in all
    const auto downloads = [&] {
        return env.sim->stats()["paths"].value("/openapi/product!getImages.do", 0);
    };
    auto first = env.sync();
    ASSERT_EQ(first.exit_code, 0) << first.output;
    const int first_downloads = downloads();
    ASSERT_GT(first_downloads, 0);
    std::uint64_t used = 0;
    for (const std::string& f : env.files()) used += fs::file_size(f);
    ASSERT_GT(used, 1024u * 1024u);

    // The operator lowers the budget below what is held; then images change on the platform.
    std::string text = read_file(env.config);
    text.replace(text.find("disk_budget_mb: 64"), 18, "disk_budget_mb: 1");
    write_file(env.config, text);
    env.sim->post_json("/__sim/sunsky/images/change?count=10");
    auto again = env.sync();
    EXPECT_EQ(again.exit_code, 1) << again.output;
    EXPECT_NE(again.output.find("budget of 1 MiB is reached"), std::string::npos) << again.output;
    EXPECT_EQ(downloads(), first_downloads) << "no archive fetched once the budget is reached";
    // What was stored stays whole: every row's file is there, no file without its row.
    std::set<std::string> named;
    for (auto& row : query_rows(env.db, "SELECT file_path FROM images")) named.insert(row[0]);
    EXPECT_EQ(env.files(), named);
}

}  // namespace
}  // namespace csync::it
