#include "store/daemon_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace csync::store {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// The pid an earlier holder wrote, or "unknown" when the file is empty or unreadable.
std::string read_holder_pid(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    std::string text = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text.empty() ? "unknown" : text;
}

}  // namespace

Result<DaemonLock> DaemonLock::acquire(const std::string& lock_path) {
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) {
        const int err = errno;
        return Error::storage("cannot open lock file " + lock_path + ": " + errno_text(err));
    }
    DaemonLock lock(fd);  // closes fd on every early return below
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        if (err == EWOULDBLOCK) {
            return Error::config("another commerce-syncd holds " + lock_path + " (pid " +
                                 read_holder_pid(fd) +
                                 "): stop it first, or point this one at "
                                 "another database");
        }
        return Error::storage("cannot lock " + lock_path + ": " + errno_text(err));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        const int err = errno;
        return Error::storage("cannot write the pid into lock file " + lock_path + ": " +
                              errno_text(err));
    }
    return lock;
}

DaemonLock::DaemonLock(DaemonLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DaemonLock& DaemonLock::operator=(DaemonLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

DaemonLock::~DaemonLock() {
    if (fd_ >= 0) {
        ::close(fd_);  // closing the last descriptor of the open file releases the flock
    }
}

}  // namespace csync::store
