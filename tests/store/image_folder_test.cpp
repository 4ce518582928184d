// The content-addressed image folder: temporary names no other writer shares, and sweeps that
// still recognise them.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/digest.hpp"
#include "store/image_files.hpp"
#include "store_test_support.hpp"

namespace csync::store {
namespace {

namespace fs = std::filesystem;
using csync::testing::TempDir;

std::size_t files_under(const fs::path& root) {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) n += e.is_regular_file();
    return n;
}

TEST(ImageFolder, AnotherWritersTemporaryFileOfTheSameImageIsNeitherReusedNorTruncated) {
    TempDir dir;
    ImageFolder folder(dir.file("images"));
    const std::string bytes = "\x89PNG image bytes";
    const std::string sha = sha256_hex(bytes);
    // A second replica sharing the folder is half-way through writing the same image under the
    // old, shared temporary name.
    fs::create_directories(folder.path_of(sha).parent_path());
    const fs::path theirs = folder.path_of(sha).string() + ".tmp";
    { std::ofstream(theirs) << "\x89PN"; }

    folder.put_all({{sha, bytes}});

    std::ifstream in(folder.path_of(sha), std::ios::binary);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), bytes);
    std::ifstream still(theirs, std::ios::binary);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(still), {}), "\x89PN")
        << "the other writer's file was touched";
}

TEST(ImageFolder, PutLeavesNoTemporaryFileAndASweepRemovesACrashedWritersOne) {
    TempDir dir;
    ImageFolder folder(dir.file("images"));
    const std::string bytes = "jpeg bytes";
    const std::string sha = sha256_hex(bytes);
    folder.put_all({{sha, bytes}});
    EXPECT_EQ(files_under(folder.root()), 1u);

    // A writer killed between its write and its rename leaves "<sha>.<host>-<pid>-<n>.tmp".
    const fs::path crashed = folder.path_of(sha).string() + ".otherhost-4242-7.tmp";
    { std::ofstream(crashed) << "half"; }
    const auto removed = folder.remove_unreferenced(
        [&](const std::string& path) { return path == folder.path_of(sha).string(); });
    EXPECT_EQ(removed, 1u);
    EXPECT_FALSE(fs::exists(crashed));
    EXPECT_TRUE(folder.contains(sha));
}

}  // namespace
}  // namespace csync::store
