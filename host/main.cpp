// autohost: the thin entry point of the CLI and daemon.
#include "cli/app.hpp"

int main(int argc, char **argv) { return autohost::cli::run(argc, argv); }
