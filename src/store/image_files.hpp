#pragma once
// The folder of content-addressed image files beside the database: <root>/<sha[0:2]>/<sha256>.
// A file's name is the SHA-256 of its bytes, never a name the platform sent, so no archive entry
// can choose where a file lands. Files are written durably (temporary file, fsync, rename, fsync
// of the directory) BEFORE the rows naming them commit, and removed only AFTER the rows that
// named them are gone; a crash in between leaves an unreferenced file, which the next sweep
// removes. Errors throw std::runtime_error naming the file and the system's reason.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csync/domain/records.hpp"
#include "csync/error.hpp"

namespace csync::store {

class ImageFolder {
  public:
    explicit ImageFolder(std::filesystem::path root);

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path path_of(const std::string& sha256) const;
    bool contains(const std::string& sha256) const;
    // Writes each image as the file of its SHA-256 unless it is already there, durably: all
    // temporary files, one flush of the filesystem, the renames, another flush (two flushes
    // per page instead of two per file). Throws if a name is not a lower-case SHA-256 hex
    // digest or does not match its bytes.
    void put_all(const std::vector<std::pair<std::string, std::string_view>>& images);
    void remove(const std::filesystem::path& file);
    // Bytes held by the folder's files (walked once, then kept up to date).
    std::int64_t bytes_used();
    // Bytes free on the filesystem holding the folder.
    std::optional<std::int64_t> bytes_free() const;
    // Removes every file `referenced` does not claim, and leftover temporary files.
    std::size_t remove_unreferenced(const std::function<bool(const std::string& path)>& referenced);

  private:
    void sync_filesystem() const;

    std::filesystem::path root_;
    std::optional<std::int64_t> bytes_used_;
};

// Refuses a page whose new image files would pass the folder's budget or leave the disk nearly
// full: nothing is written, the stream stops with this error, the cursor stays.
Status check_image_space(ImageFolder& folder, const PageRecords& records);

}  // namespace csync::store
