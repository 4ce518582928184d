#include "app/cli.hpp"

int main(int argc, char** argv) { return csync::app::cli_main(argc, argv); }
