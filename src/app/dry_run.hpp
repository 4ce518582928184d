#pragma once
// `sync-once --dry-run`: one page of each selected stream, fetched as its next cycle would fetch
// it (from the stored cursor when the database has one), summarised on stdout and thrown away.
// Nothing is written to the store and nothing is acknowledged to a platform: a stream's
// fetch_page has no side effect by contract. For checking a new account's credentials, zone and
// mapping before its first real sync.

#include "app/daemon.hpp"
#include "csync/config.hpp"

namespace csync::app {

// Returns the process exit code: 0 when every page came back, 4 when a platform rejected an
// account's credentials, 1 for any other failure, 3 when the database cannot be read.
int run_dry(const Config& config, const DaemonOptions& options);

}  // namespace csync::app
