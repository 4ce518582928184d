// Sunsky images: the ZIP archives (libzip) and the `images` stream in process against the
// simulator: content-addressed images per item, items gone, damaged or escaping archives
// dead-lettered without stopping the stream, and the download quota as a rate limit.
#include <map>
#include <variant>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/digest.hpp"
#include "core/run_coro.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/sim_http_client.hpp"
#include "sunsky/adapter.hpp"
#include "sunsky/image_archive.hpp"
#include "sunsky/images.hpp"
#include "sunsky/simulator.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

TEST(SunskyImageArchive, UnpacksWhatItPacksInNameOrderWithoutDirectories) {
    const std::string zip = make_zip({{"b.jpg", "second"}, {"dir/", ""}, {"a.jpg", "first"}});
    ASSERT_TRUE(looks_like_zip(zip));
    auto unpacked = unpack_zip(zip);
    ASSERT_TRUE(std::holds_alternative<std::vector<ArchiveEntry>>(unpacked));
    const auto& entries = std::get<std::vector<ArchiveEntry>>(unpacked);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].name, "a.jpg");
    EXPECT_EQ(entries[0].data, "first");
    EXPECT_EQ(entries[1].data, "second");
    EXPECT_TRUE(std::holds_alternative<std::vector<ArchiveEntry>>(unpack_zip(make_zip({}))));
}

TEST(SunskyImageArchive, ATruncatedArchiveIsRefused) {
    std::string zip = make_zip({{"a.jpg", std::string(4000, 'a')}, {"b.jpg", "b"}});
    zip.resize(zip.size() * 2 / 3);
    auto unpacked = unpack_zip(zip);
    ASSERT_TRUE(std::holds_alternative<ArchiveRefusal>(unpacked));
    EXPECT_NE(std::get<ArchiveRefusal>(unpacked).reason.find("does not unpack"), std::string::npos);
    EXPECT_FALSE(looks_like_zip("UP_TO_IMAGE_DOWNLOAD_LIMIT"));
}

TEST(SunskyImageArchive, EntriesOutsideTheArchiveAreRefused) {
    for (const char* name : {"../x.jpg", "a/../../x.jpg", "/etc/x.jpg", "..\\x.jpg", "C:\\x.jpg"}) {
        auto unpacked = unpack_zip(make_zip({{"ok.jpg", "ok"}, {name, "evil"}}));
        ASSERT_TRUE(std::holds_alternative<ArchiveRefusal>(unpacked)) << name;
        EXPECT_NE(std::get<ArchiveRefusal>(unpacked).reason.find("outside"), std::string::npos);
    }
    // Dots inside a name are fine.
    EXPECT_TRUE(std::holds_alternative<std::vector<ArchiveEntry>>(
        unpack_zip(make_zip({{"a..b.jpg", "x"}, {"..hidden.jpg", "y"}}))));
}

constexpr const char* kKey = "images-key";
constexpr const char* kSecret = "images-secret-value";

struct ImagesRig {
    ImagesRig()
        : clock(std::chrono::system_clock::time_point{std::chrono::seconds{1'717'214'400}}),
          sim(options()),
          http(sim) {
        account.name = "sunsky-images";
        account.platform = "sunsky";
        account.base_url = "http://sim.invalid";
        account.timezone = "Asia/Shanghai";
        account.credentials = {{"key", kKey}, {"secret", kSecret}};
        adapter = std::make_unique<SunskyAdapter>(
            AdapterDeps{account, http, clock, *TimeZone::from_name("Asia/Shanghai")});
        StreamConfig s;
        s.name = kImagesStream;
        s.options = {{"size", "64"}, {"disk_budget_mb", "16"}};
        stream = adapter->make_stream(s);
    }

    SimOptions options() {
        SimOptions o;
        o.seed = 9;
        o.products = 40;
        o.credentials = {{"key", kKey}, {"secret", kSecret}};
        o.now = [this] { return clock.now(); };
        return o;
    }

    json control(const std::string& path, std::vector<std::pair<std::string, std::string>> query) {
        SimRequest r;
        r.method = "POST";
        r.path = path;
        r.query = std::move(query);
        return json::parse(sim.control(r).body);
    }

    json truth() {
        SimRequest r;
        r.method = "GET";
        r.path = "/__sim/sunsky/images";
        return json::parse(sim.control(r).body);
    }

    // One cycle; the image sets by item as the pages left them, and the dead letters.
    Result<int> cycle() {
        for (int pages = 1; pages < 100; ++pages) {
            auto page = csync::testing::run_coro(io, stream->fetch_page(cursor));
            if (!page.ok()) return page.error();
            for (const std::string& item : page->records.replaced_image_sets) sets[item].clear();
            for (const Image& i : page->records.images) {
                EXPECT_EQ(sha256_hex(i.data), i.sha256);
                sets[i.product_external_id].push_back(i.sha256);
            }
            for (const DeadLetter& d : page->records.dead_letters) dead[d.record_key] = d.error;
            EXPECT_EQ(page->records.image_budget_bytes, 16 * 1024 * 1024);
            cursor = page->next_cursor;
            if (page->cycle_done) return pages;
        }
        return Error::bad_response("cycle did not end");
    }

    csync::testing::FakeClock clock;
    SunskySimulator sim;
    csync::testing::SimHttpClient http;
    AccountConfig account;
    std::unique_ptr<SunskyAdapter> adapter;
    StreamSyncPtr stream;
    boost::asio::io_context io;
    json cursor;
    std::map<std::string, std::vector<std::string>> sets;
    std::map<std::string, std::string> dead;
};

TEST(SunskyImagesStream, EveryItemsImagesArriveWithTheSimulatorsHashes) {
    ImagesRig rig;
    ASSERT_TRUE(rig.cycle().ok());
    const json truth = rig.truth();
    ASSERT_EQ(rig.sets.size(), truth.size());
    for (const auto& [item, hashes] : truth.items()) {
        EXPECT_EQ(json(rig.sets[item]), hashes) << item;
    }
    // The size option reached the platform.
    bool asked = false;
    for (const HttpRequest& r : rig.http.requests) {
        asked |= r.url.find("getImages") != std::string::npos &&
                 r.body.find("size=64") != std::string::npos;
    }
    EXPECT_TRUE(asked);
}

TEST(SunskyImagesStream, DamagedEscapingAndGoneItemsAreHandledPerItem) {
    ImagesRig rig;
    ASSERT_TRUE(rig.cycle().ok());
    const auto items = rig.truth();
    auto it = items.begin();
    const std::string corrupt = (it++).key();
    const std::string escape = (it++).key();
    const std::string gone = (it++).key();
    const std::string changed =
        rig.control("/__sim/sunsky/images/change", {{"count", "1"}})["changed"][0]
            .get<std::string>();
    rig.clock.advance(std::chrono::seconds{5});
    rig.control("/__sim/sunsky/images/corrupt", {{"item", corrupt}});
    rig.control("/__sim/sunsky/images/escape", {{"item", escape}});
    rig.control("/__sim/sunsky/images/remove", {{"item", gone}});
    rig.sets.clear();
    ASSERT_TRUE(rig.cycle().ok());
    EXPECT_NE(rig.dead["itemNo=" + corrupt].find("does not unpack"), std::string::npos);
    EXPECT_NE(rig.dead["itemNo=" + escape].find("outside"), std::string::npos);
    ASSERT_TRUE(rig.sets.contains(gone));
    EXPECT_TRUE(rig.sets[gone].empty());
    EXPECT_EQ(json(rig.sets[changed]), rig.truth()[changed]);
    EXPECT_FALSE(rig.sets.contains(corrupt));
}

TEST(SunskyImagesStream, TheDownloadQuotaIsARateLimitAndTheSizeIsChecked) {
    ImagesRig rig;
    rig.control("/__sim/sunsky/images/limit", {{"downloads", "3"}});
    auto r = rig.cycle();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::rate_limited);
    EXPECT_NE(r.error().message.find("UP_TO_IMAGE_DOWNLOAD_LIMIT"), std::string::npos);

    StreamConfig s;
    s.name = kImagesStream;
    s.options = {{"size", "900"}};
    auto too_big = rig.adapter->make_stream(s);
    auto page = csync::testing::run_coro(rig.io, too_big->fetch_page(json()));
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::config);
}

}  // namespace
}  // namespace csync::sunsky
