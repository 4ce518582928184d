#pragma once
// Notifications to systemd (READY=1, STATUS=..., WATCHDOG=1, STOPPING=1) through libsystemd,
// which is opened only when the service manager listens (NOTIFY_SOCKET is set). Started any
// other way (a shell, a container, the tests) the daemon never maps libsystemd and the six
// libraries it pulls in (libgcrypt, libgpg-error, liblz4, libzstd, liblzma, libcap: ~1 MiB
// resident for the process's life), since every notification would go nowhere.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace csync::app {

class ServiceNotifier {
  public:
    // Reads NOTIFY_SOCKET and opens libsystemd when it is set. A library that cannot be opened
    // is reported by warning() and notifications are dropped, as without systemd.
    ServiceNotifier();
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;
    ~ServiceNotifier();

    void notify(const std::string& state) const;
    // The watchdog interval the unit asks for (WatchdogSec=), if any.
    std::optional<std::chrono::microseconds> watchdog_interval() const;
    // Why notifications are dropped although systemd listens; empty when they are not.
    const std::string& warning() const { return warning_; }

  private:
    void* library_ = nullptr;
    int (*notify_)(int, const char*) = nullptr;
    int (*watchdog_enabled_)(int, std::uint64_t*) = nullptr;
    std::string warning_;
};

}  // namespace csync::app
