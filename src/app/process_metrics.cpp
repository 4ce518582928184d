#include "app/process_metrics.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace csync::app {
namespace {

// Taken during static initialisation, i.e. when the process starts; /proc/stat (boot time, to
// read the start from /proc/self/stat) is hidden by ProcSubset=pid.
const double kStartTimeSeconds =
    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

long long resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    long long size_pages = 0, resident_pages = 0;
    if (!(statm >> size_pages >> resident_pages)) return -1;
    return resident_pages * sysconf(_SC_PAGESIZE);
}

long long open_fds() {
    std::error_code ec;
    long long n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
        ++n;
    }
    return ec ? -1 : n;
}

double cpu_seconds() {
    // Fields 14 and 15 of /proc/self/stat (utime, stime) in clock ticks; field 2 may hold spaces
    // but ends at the last ')'.
    std::ifstream in("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoll(field);
        if (i == 15) stime = std::stoll(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

std::string process_metrics_text() {
    std::ostringstream out;
    out.precision(15);
    auto gauge = [&](const char* name, const char* type, const char* help, double value) {
        if (value < 0) return;  // unreadable here: better absent than wrong
        out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
            << name << ' ' << value << '\n';
    };
    gauge("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
          static_cast<double>(resident_bytes()));
    gauge("process_open_fds", "gauge", "Number of open file descriptors.",
          static_cast<double>(open_fds()));
    gauge("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.",
          cpu_seconds());
    gauge("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.",
          kStartTimeSeconds);
    return out.str();
}

}  // namespace csync::app
