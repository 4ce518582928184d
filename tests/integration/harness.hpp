#pragma once
// Runs the real binaries (commerce-sim, commerce-syncd) as child processes over loopback, with
// ephemeral ports, temp directories and bounded waits, so a test reads top to bottom.

#include <sys/types.h>

#include <atomic>
#include <mutex>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace csync::it {

namespace fs = std::filesystem;

std::string syncd_bin();
std::string sim_bin();

// A temporary directory removed at the end of the test.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

  private:
    fs::path path_;
};

// A child process; killed (SIGKILL) on destruction if still running.
class Process {
  public:
    Process(std::vector<std::string> argv, const fs::path& log_file,
            std::map<std::string, std::string> env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const;
    // Waits for the exit; nullopt on timeout. Returns the exit code (128+signal when killed).
    std::optional<int> wait(std::chrono::milliseconds timeout);
    bool running();
    std::string output() const;  // stdout+stderr so far

  private:
    pid_t pid_ = -1;
    fs::path log_;
    std::optional<int> status_;
};

struct RunResult {
    int exit_code = -1;
    std::string output;
};

// Runs a command to completion (bounded by `timeout`; fails the test on timeout).
RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout,
              std::map<std::string, std::string> env = {});

// A started simulator.
class Simulator {
  public:
    Simulator(const TempDir& dir, const std::string& platform, std::vector<std::string> args);
    const std::string& base_url() const { return base_url_; }
    int port() const { return port_; }

    std::string truth();  // GET /__sim/truth (NDJSON)
    std::vector<nlohmann::json> truth_records();
    nlohmann::json stats();  // GET /__sim/stats
    nlohmann::json get_json(const std::string& target);
    nlohmann::json post_json(const std::string& target, const std::string& body = "");
    void stop();

  private:
    std::unique_ptr<Process> process_;
    std::string base_url_;
    int port_ = 0;
};

// Minimal HTTP/1.1 over loopback for the tests' control calls (no dependency on the client
// under test). Returns status and body.
struct PlainResponse {
    int status = 0;
    std::string body;
};
// A blocking TCP connection to 127.0.0.1:port; -1 when it cannot be made.
int connect_loopback(int port);
PlainResponse http_request(int port, const std::string& method, const std::string& target,
                           const std::string& body = "");

// A stand-in for a platform (or whoever sits on the path to it) that answers every request with
// HTTP 200 and the same body, whatever was asked: for hostile or careless answers. "%REQUEST%"
// in the body becomes the request line, headers and body received (JSON-string escaped), as a
// careless gateway repeating its input in an error message would; "%VALUES%" becomes the decoded
// values of every query and form parameter, space separated, without their names.
class CannedServer {
  public:
    explicit CannedServer(std::string body);
    ~CannedServer();
    CannedServer(const CannedServer&) = delete;
    CannedServer& operator=(const CannedServer&) = delete;
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int requests() const { return requests_.load(); }
    std::vector<std::string> received() const;  // every request as it came

  private:
    void serve();
    std::string body_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<int> requests_{0};
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::vector<std::string> received_;
    std::thread thread_;
};

// The port of a running daemon's status endpoint, read from its log line; 0 when it did not
// appear within `timeout`.
int status_port(Process& daemon, std::chrono::milliseconds timeout);

// Resident memory of a process in KiB (VmRSS), 0 when unknown.
long resident_kib(pid_t pid);

// Reads a single-value SQL query from the database (read-only).
std::string query_one(const fs::path& db, const std::string& sql);
// The same, for polling a database another process is still creating: "" until the file exists
// and its migrations have committed the tables the query names.
std::string query_when_ready(const fs::path& db, const std::string& sql);
std::vector<std::vector<std::string>> query_rows(const fs::path& db, const std::string& sql);

// Polls `pred` every 50 ms until true or the timeout passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
}

void write_file(const fs::path& p, const std::string& text);
std::string read_file(const fs::path& p);

}  // namespace csync::it
