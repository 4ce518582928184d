#include <malloc.h>

#include "app/cli.hpp"

int main(int argc, char** argv) {
    // Freed heap stays for reuse while a sync runs: by default the database thread's arena handed
    // ~100 KiB back after every page and faulted it in again page by page (~8% of a first sync's
    // CPU). Between cycles the scheduler still gives it all back (malloc_trim).
    ::mallopt(M_TRIM_THRESHOLD, 32 << 20);
    ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
    return csync::app::cli_main(argc, argv);
}
