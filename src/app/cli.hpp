#pragma once

namespace csync::app {

// commerce-syncd's command line: run, sync-once, status, reset-cursor, check-config, migrate,
// export, api, version. Returns the process exit code (see daemon.hpp).
int cli_main(int argc, char** argv);

}  // namespace csync::app
