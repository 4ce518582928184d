#pragma once
// The composition root: one io_context (the network thread), one database thread, the adapters
// from the registry, the scheduler, the status endpoint, signals and systemd notifications.

#include <map>
#include <optional>
#include <string>

#include "csync/config.hpp"

namespace csync::app {

// Process exit codes, documented in the README.
enum ExitCode : int {
    kExitOk = 0,
    kExitSyncFailed = 1,  // one or more streams failed (details in the log and `status`)
    kExitUsage = 2,       // bad command line or configuration
    kExitStore = 3,  // the database cannot be opened, is locked by another daemon, or is too new
    kExitAuth = 4,   // sync-once: an account was parked for an authentication failure
};

struct DaemonOptions {
    bool once = false;  // sync-once: each selected stream runs one cycle, then exit
    std::optional<std::string> only_account;
    std::optional<std::string> only_stream;
    bool serve_http = true;  // the status/metrics endpoint

    bool selects(const std::string& account, const std::string& stream) const {
        return (!only_account || *only_account == account) &&
               (!only_stream || *only_stream == stream);
    }
};

// Runs the daemon (or one sync pass) and returns the process exit code. Installs SIGINT/SIGTERM
// (graceful stop) and, in daemon mode, SIGHUP (reload the configuration if it is valid).
int run_daemon(Config config, const DaemonOptions& options);

}  // namespace csync::app
