#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

namespace csync::it {

std::string syncd_bin() { return COMMERCE_SYNCD_BIN; }
std::string sim_bin() { return COMMERCE_SIM_BIN; }

TempDir::TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("csync-it-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!std::getenv("CSYNC_KEEP_TEST_DIRS")) fs::remove_all(path_, ec);
}

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Process::Process(std::vector<std::string> argv, const fs::path& log_file,
                 std::map<std::string, std::string> env)
    : log_(log_file) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::close(fd);
        }
        for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
}

Process::~Process() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        wait(std::chrono::seconds(5));
    }
}

void Process::signal(int sig) const { ::kill(pid_, sig); }

bool Process::running() {
    if (status_) return false;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return false;
    }
    return r == 0;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return status_;
}

std::string Process::output() const { return read_file(log_); }

RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout,
              std::map<std::string, std::string> env) {
    TempDir dir;
    Process p(std::move(argv), dir / "out.log", std::move(env));
    auto code = p.wait(timeout);
    RunResult r;
    r.output = p.output();
    if (!code) {
        ADD_FAILURE() << "command timed out after " << timeout.count() << " ms; output:\n"
                      << r.output;
        return r;
    }
    r.exit_code = *code;
    return r;
}

int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

PlainResponse http_request(int port, const std::string& method, const std::string& target,
                           const std::string& body) {
    PlainResponse out;
    const int fd = connect_loopback(port);
    if (fd < 0) return out;
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string req = method + " " + target +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
    ::send(fd, req.data(), req.size(), 0);
    std::string resp;
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        resp.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    auto sp = resp.find(' ');
    if (sp != std::string::npos) out.status = std::atoi(resp.c_str() + sp + 1);
    auto hdr_end = resp.find("\r\n\r\n");
    if (hdr_end == std::string::npos) return out;
    std::string headers = resp.substr(0, hdr_end);
    std::string payload = resp.substr(hdr_end + 4);
    // Bodies from the frame come with Content-Length; handle chunked just in case.
    if (headers.find("chunked") != std::string::npos) {
        std::string decoded;
        std::size_t pos = 0;
        for (;;) {
            auto eol = payload.find("\r\n", pos);
            if (eol == std::string::npos) break;
            std::size_t len = std::stoul(payload.substr(pos, eol - pos), nullptr, 16);
            if (len == 0) break;
            decoded += payload.substr(eol + 2, len);
            pos = eol + 2 + len + 2;
        }
        payload = decoded;
    }
    out.body = payload;
    return out;
}

Simulator::Simulator(const TempDir& dir, const std::string& platform,
                     std::vector<std::string> args) {
    fs::path port_file = dir / (platform + ".port");
    std::vector<std::string> argv = {sim_bin(), "--platform",  platform,          "--port",
                                     "0",       "--port-file", port_file.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<Process>(argv, dir / (platform + "-sim.log"));
    bool up = eventually([&] { return fs::exists(port_file) && fs::file_size(port_file) > 0; },
                         std::chrono::seconds(20));
    if (!up) {
        throw std::runtime_error("simulator " + platform + " did not start: " + process_->output());
    }
    port_ = std::stoi(read_file(port_file));
    base_url_ = "http://127.0.0.1:" + std::to_string(port_);
}

void Simulator::stop() {
    if (process_ && process_->running()) {
        process_->signal(SIGTERM);
        process_->wait(std::chrono::seconds(5));
    }
}

namespace {

std::string percent_decode(const std::string& in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '+') {
            out += ' ';
        } else if (in[i] == '%' && i + 2 < in.size()) {
            out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += in[i];
        }
    }
    return out;
}

// The decoded values of the query string's and a form body's parameters, space separated.
std::string parameter_values(const std::string& request) {
    const auto line_end = request.find("\r\n");
    const std::string line = request.substr(0, line_end);
    std::string pairs;
    if (auto q = line.find('?'); q != std::string::npos) {
        pairs = line.substr(q + 1, line.rfind(' ') - q - 1);
    }
    if (auto head_end = request.find("\r\n\r\n"); head_end != std::string::npos) {
        pairs += "&" + request.substr(head_end + 4);
    }
    std::string out;
    std::size_t pos = 0;
    while (pos <= pairs.size()) {
        auto amp = pairs.find('&', pos);
        const std::string pair = pairs.substr(pos, amp == std::string::npos ? amp : amp - pos);
        if (auto eq = pair.find('='); eq != std::string::npos) {
            out += (out.empty() ? "" : " ") + percent_decode(pair.substr(eq + 1));
        }
        if (amp == std::string::npos) break;
        pos = amp + 1;
    }
    // JSON-string escaped without the quotes: it lands inside a JSON string of the answer.
    const std::string quoted =
        nlohmann::json(out).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return quoted.substr(1, quoted.size() - 2);
}

}  // namespace

std::vector<std::string> CannedServer::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

CannedServer::CannedServer(std::string body) : body_(std::move(body)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
        throw std::runtime_error("bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
}

CannedServer::~CannedServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    if (thread_.joinable()) thread_.join();
}

void CannedServer::serve() {
    while (!stopping_) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        timeval tv{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        // Read the head, then as much body as Content-Length announces.
        std::string req;
        char buf[16384];
        std::size_t want = std::string::npos;
        while (want == std::string::npos || req.size() < want) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            req.append(buf, static_cast<std::size_t>(n));
            auto head_end = req.find("\r\n\r\n");
            if (want == std::string::npos && head_end != std::string::npos) {
                std::size_t length = 0;
                auto cl = req.find("Content-Length: ");
                if (cl != std::string::npos && cl < head_end) {
                    length = std::stoul(req.substr(cl + 16));
                }
                want = head_end + 4 + length;
            }
        }
        ++requests_;
        {
            std::lock_guard lock(mutex_);
            received_.push_back(req);
        }
        std::string body = body_;
        if (auto at = body.find("%VALUES%"); at != std::string::npos) {
            body.replace(at, 8, parameter_values(req));
        }
        if (auto at = body.find("%REQUEST%"); at != std::string::npos) {
            const std::string quoted =
                nlohmann::json(req).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            body.replace(at, 9, quoted.substr(1, quoted.size() - 2));
        }
        std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        std::size_t sent = 0;
        while (sent < resp.size()) {
            ssize_t n = ::send(fd, resp.data() + sent, resp.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;
            sent += static_cast<std::size_t>(n);
        }
        ::close(fd);
    }
}

std::string Simulator::truth() { return http_request(port_, "GET", "/__sim/truth").body; }

std::vector<nlohmann::json> Simulator::truth_records() {
    std::vector<nlohmann::json> out;
    std::istringstream in(truth());
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    }
    return out;
}

nlohmann::json Simulator::stats() { return get_json("/__sim/stats"); }

nlohmann::json Simulator::get_json(const std::string& target) {
    auto r = http_request(port_, "GET", target);
    return nlohmann::json::parse(r.body.empty() ? "null" : r.body);
}

nlohmann::json Simulator::post_json(const std::string& target, const std::string& body) {
    auto r = http_request(port_, "POST", target, body);
    return nlohmann::json::parse(r.body.empty() ? "null" : r.body, nullptr, false);
}

std::string query_one(const fs::path& db, const std::string& sql) {
    auto rows = query_rows(db, sql);
    return rows.empty() || rows[0].empty() ? "" : rows[0][0];
}

std::string query_when_ready(const fs::path& db, const std::string& sql) {
    if (!fs::exists(db)) return "";
    try {
        return query_one(db, sql);
    } catch (const SQLite::Exception&) {
        return "";  // e.g. "no such table": the schema is still being created
    }
}

namespace {

std::vector<std::vector<std::string>> rows_of(SQLite::Database& conn, const std::string& sql) {
    conn.setBusyTimeout(5000);
    SQLite::Statement st(conn, sql);
    std::vector<std::vector<std::string>> rows;
    while (st.executeStep()) {
        std::vector<std::string> row;
        for (int i = 0; i < st.getColumnCount(); ++i) {
            row.push_back(st.getColumn(i).isNull() ? "" : st.getColumn(i).getString());
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace

std::vector<std::vector<std::string>> query_rows(const fs::path& db, const std::string& sql) {
    try {
        SQLite::Database conn(db.string(), SQLite::OPEN_READONLY);
        return rows_of(conn, sql);
    } catch (const SQLite::Exception& e) {
        // A writer killed mid-commit can leave a WAL index that needs recovery, which a read-only
        // connection cannot run (SQLITE_READONLY_RECOVERY); the next daemon runs it on opening,
        // and so does this query.
        if (e.getErrorCode() != SQLITE_READONLY) throw;
    }
    SQLite::Database conn(db.string(), SQLite::OPEN_READWRITE);
    return rows_of(conn, sql);
}

int status_port(Process& daemon, std::chrono::milliseconds timeout) {
    const std::string mark = "status endpoint on http://127.0.0.1:";
    int port = 0;
    eventually(
        [&] {
            const std::string out = daemon.output();
            const auto pos = out.find(mark);
            if (pos != std::string::npos) port = std::atoi(out.c_str() + pos + mark.size());
            return port > 0;
        },
        timeout);
    return port;
}

long resident_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return 0;
}

}  // namespace csync::it
