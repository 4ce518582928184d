#pragma once
// Keeps a second commerce-syncd off the same database: an exclusive, non-blocking flock(2) on
// "<database>.lock", holding the owner's pid so that the refusal can name it. The kernel drops
// the lock when the process dies, so a crash never leaves a stale lock behind; the file itself
// stays (removing it would let two processes lock two different inodes).
// Not thread-safe; move-only. Never throws (except std::bad_alloc).

#include <string>

#include "csync/error.hpp"

namespace csync::store {

class DaemonLock {
  public:
    // Creates the lock file (mode 0600) if needed and locks it. Fails with Error::config
    // "another commerce-syncd holds <path> (pid N)" when another process (or another open of the
    // same file in this process) holds it, Error::storage for any other failure.
    static Result<DaemonLock> acquire(const std::string& lock_path);

    DaemonLock(DaemonLock&& other) noexcept;
    DaemonLock& operator=(DaemonLock&& other) noexcept;
    DaemonLock(const DaemonLock&) = delete;
    DaemonLock& operator=(const DaemonLock&) = delete;
    ~DaemonLock();  // releases the lock

  private:
    explicit DaemonLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace csync::store
