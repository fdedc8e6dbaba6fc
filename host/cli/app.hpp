// The autohost command line: global flags, then one command.
#pragma once

namespace autohost::cli {

// Runs the CLI and returns the process exit code (see exit_codes.hpp).
int run(int argc, char **argv);

} // namespace autohost::cli
