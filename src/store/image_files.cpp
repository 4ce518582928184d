#include "store/image_files.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>
#include <vector>

#include "core/digest.hpp"

namespace csync::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTempSuffix = ".tmp";

// A temporary name no other writer uses: replicas on several machines may share one image
// folder, and two writers of the same image must never truncate each other's file before its
// rename. "<sha>.<pid>-<n>.tmp" still ends in kTempSuffix, so sweeps know it.
fs::path temp_name(const fs::path& file) {
    static std::atomic<std::uint64_t> next{0};
    char host[64] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    return file.string() + "." + host + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(next.fetch_add(1)) + std::string(kTempSuffix);
}

[[noreturn]] void fail(const std::string& what, const fs::path& p, int err) {
    throw std::runtime_error(what + " " + p.string() + ": " + std::strerror(err));
}

bool is_sha256(const std::string& s) {
    if (s.size() != 64) return false;
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

}  // namespace

ImageFolder::ImageFolder(fs::path root) : root_(std::move(root)) {}

fs::path ImageFolder::path_of(const std::string& sha256) const {
    return root_ / sha256.substr(0, 2) / sha256;
}

bool ImageFolder::contains(const std::string& sha256) const {
    std::error_code ec;
    return is_sha256(sha256) && fs::is_regular_file(path_of(sha256), ec);
}

void ImageFolder::put_all(const std::vector<std::pair<std::string, std::string_view>>& images) {
    struct Written {
        fs::path file;
        fs::path temp;
        std::int64_t size = 0;
    };
    std::vector<Written> written;
    for (const auto& [sha256, data] : images) {
        if (!is_sha256(sha256)) {
            throw std::runtime_error("image name '" + sha256 + "' is not a SHA-256 hex digest");
        }
        if (sha256_hex(data) != sha256) {
            throw std::runtime_error("image bytes do not match their SHA-256 " + sha256);
        }
        const fs::path file = path_of(sha256);
        std::error_code ec;
        if (fs::is_regular_file(file, ec)) continue;
        if (std::any_of(written.begin(), written.end(),
                        [&](const auto& w) { return w.file == file; })) {
            continue;
        }
        fs::create_directories(file.parent_path(), ec);
        if (ec) fail("cannot create image directory", file.parent_path(), ec.value());
        const fs::path temp = temp_name(file);
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) fail("cannot create image file", temp, errno);
        std::size_t done = 0;
        while (done < data.size()) {
            const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                const int err = errno;
                ::close(fd);
                ::unlink(temp.c_str());
                fail("cannot write image file", temp, err);
            }
            done += static_cast<std::size_t>(n);
        }
        ::close(fd);
        written.push_back({file, temp, static_cast<std::int64_t>(data.size())});
    }
    if (written.empty()) return;
    sync_filesystem();  // the bytes, before any name points at them
    for (const auto& [file, temp, size] : written) {
        if (::rename(temp.c_str(), file.c_str()) != 0) {
            const int err = errno;
            ::unlink(temp.c_str());
            fail("cannot move image file into place", file, err);
        }
        if (bytes_used_) *bytes_used_ += size;
    }
    sync_filesystem();  // the names, before the rows naming them commit
}

void ImageFolder::sync_filesystem() const {
    const int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail("cannot open image folder", root_, errno);
    const int rc = ::syncfs(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) fail("cannot flush the filesystem of image folder", root_, err);
}

void ImageFolder::remove(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) return;  // gone already
    if (!fs::remove(file, ec) || ec) {
        if (ec) fail("cannot remove image file", file, ec.value());
        return;
    }
    if (bytes_used_) *bytes_used_ -= static_cast<std::int64_t>(size);
}

std::int64_t ImageFolder::bytes_used() {
    if (!bytes_used_) {
        std::int64_t total = 0;
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(root_, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            std::error_code size_ec;
            if (it->is_regular_file(size_ec)) {
                total += static_cast<std::int64_t>(it->file_size(size_ec));
            }
        }
        bytes_used_ = total;
    }
    return *bytes_used_;
}

std::optional<std::int64_t> ImageFolder::bytes_free() const {
    // The folder may not exist yet: ask about the nearest existing ancestor.
    fs::path probe = root_;
    std::error_code ec;
    while (!probe.empty() && !fs::exists(probe, ec)) probe = probe.parent_path();
    struct statvfs st {};
    if (::statvfs(probe.empty() ? "." : probe.c_str(), &st) != 0) return std::nullopt;
    return static_cast<std::int64_t>(st.f_bavail) * static_cast<std::int64_t>(st.f_frsize);
}

std::size_t ImageFolder::remove_unreferenced(
    const std::function<bool(const std::string& path)>& referenced) {
    std::vector<fs::path> doomed;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code type_ec;
        if (!it->is_regular_file(type_ec)) continue;
        const fs::path& p = it->path();
        if (p.string().ends_with(kTempSuffix) || !referenced(p.string())) doomed.push_back(p);
    }
    for (const fs::path& p : doomed) remove(p);
    return doomed.size();
}

Status check_image_space(ImageFolder& folder, const PageRecords& records) {
    std::int64_t incoming = 0;
    std::set<std::string> counted;
    for (const Image& i : records.images) {
        if (counted.insert(i.sha256).second && !folder.contains(i.sha256)) {
            incoming += static_cast<std::int64_t>(i.data.size());
        }
    }
    if (incoming == 0) return {};
    constexpr std::int64_t kMiB = 1024 * 1024;
    const std::int64_t used = folder.bytes_used();
    if (records.image_budget_bytes > 0 && used + incoming > records.image_budget_bytes) {
        return Error::storage("image folder " + folder.root().string() + " holds " +
                              std::to_string(used / kMiB) + " MiB; " + std::to_string(incoming) +
                              " more bytes would pass its budget of " +
                              std::to_string(records.image_budget_bytes / kMiB) +
                              " MiB: image downloads stop until the budget (images stream "
                              "option disk_budget_mb) is raised or space is freed");
    }
    constexpr std::int64_t kReserve = 64 * kMiB;  // left for the database and its WAL
    if (auto free = folder.bytes_free(); free && *free < incoming + kReserve) {
        return Error::storage("the disk holding image folder " + folder.root().string() +
                              " has only " + std::to_string(*free / kMiB) +
                              " MiB free: image downloads stop until space is freed");
    }
    return {};
}

}  // namespace csync::store
