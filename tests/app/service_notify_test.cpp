// Notifications reach the socket systemd names, through libsystemd opened only then.
#include "app/service_notify.hpp"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace csync::app {
namespace {

// Sets an environment variable for one test and puts back what was there.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(ServiceNotifier, WithoutNotifySocketNothingIsSentAndNoWatchdogIsAsked) {
    ScopedEnv socket("NOTIFY_SOCKET", "");
    ScopedEnv watchdog("WATCHDOG_USEC", "4000000");
    ServiceNotifier notifier;
    notifier.notify("READY=1");  // nowhere to go: a no-op
    EXPECT_FALSE(notifier.watchdog_interval());
    EXPECT_TRUE(notifier.warning().empty());
}

TEST(ServiceNotifier, SendsToTheSocketSystemdNamesAndReadsItsWatchdog) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("csync-notify-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "notify").string();
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path.size(), sizeof addr.sun_path);
    path.copy(addr.sun_path, path.size());
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    {
        ScopedEnv socket("NOTIFY_SOCKET", path);
        ScopedEnv watchdog("WATCHDOG_USEC", "4000000");
        ScopedEnv watchdog_pid("WATCHDOG_PID", std::to_string(::getpid()));
        ServiceNotifier notifier;
        ASSERT_TRUE(notifier.warning().empty()) << notifier.warning();
        notifier.notify("READY=1");
        char buf[64] = {};
        const ssize_t n = ::recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        ASSERT_GT(n, 0);
        EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "READY=1");
        ASSERT_TRUE(notifier.watchdog_interval());
        EXPECT_EQ(*notifier.watchdog_interval(), std::chrono::seconds(4));
    }
    ::close(fd);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace csync::app
