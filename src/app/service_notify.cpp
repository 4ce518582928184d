#include "app/service_notify.hpp"

#include <cstdlib>
#include <type_traits>

#include <dlfcn.h>

#include <systemd/sd-daemon.h>

namespace csync::app {

namespace {
constexpr const char* kLibsystemd = "libsystemd.so.0";
}

ServiceNotifier::ServiceNotifier() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    if (socket == nullptr || *socket == '\0') return;
    library_ = ::dlopen(kLibsystemd, RTLD_NOW | RTLD_LOCAL);
    if (library_ == nullptr) {
        const char* why = ::dlerror();
        warning_ = std::string("systemd listens on NOTIFY_SOCKET but ") + kLibsystemd +
                   " cannot be loaded (" + (why ? why : "unknown error") +
                   "): it will not see READY=1 nor watchdog pings; install libsystemd0";
        return;
    }
    static_assert(std::is_same_v<decltype(&sd_notify), decltype(notify_)>);
    static_assert(std::is_same_v<decltype(&sd_watchdog_enabled), decltype(watchdog_enabled_)>);
    notify_ = reinterpret_cast<decltype(notify_)>(::dlsym(library_, "sd_notify"));
    watchdog_enabled_ =
        reinterpret_cast<decltype(watchdog_enabled_)>(::dlsym(library_, "sd_watchdog_enabled"));
    if (notify_ == nullptr || watchdog_enabled_ == nullptr) {
        warning_ = std::string(kLibsystemd) +
                   " lacks sd_notify or sd_watchdog_enabled: systemd will not see READY=1";
        notify_ = nullptr;
        watchdog_enabled_ = nullptr;
    }
}

ServiceNotifier::~ServiceNotifier() {
    if (library_ != nullptr) ::dlclose(library_);
}

void ServiceNotifier::notify(const std::string& state) const {
    if (notify_ != nullptr) notify_(0, state.c_str());
}

std::optional<std::chrono::microseconds> ServiceNotifier::watchdog_interval() const {
    std::uint64_t usec = 0;
    if (watchdog_enabled_ == nullptr || watchdog_enabled_(0, &usec) <= 0 || usec == 0) {
        return std::nullopt;
    }
    return std::chrono::microseconds(usec);
}

}  // namespace csync::app
