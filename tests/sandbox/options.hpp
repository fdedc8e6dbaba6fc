// The threads-sandbox command line.
#pragma once

#include "expected.hpp"
#include "world.hpp"

#include <string>
#include <vector>

namespace sandbox {

struct Options {
  std::string listen_host = "127.0.0.1";
  unsigned short listen_port = 0;
  std::string state_dir;
  std::vector<AppRecord> apps; // empty: the default app
  std::string server_name;     // empty: localhost + 127.0.0.1
  bool revoke_on_refresh = false;
  unsigned threads = 2;
  bool help = false;
};

// Errors name the offending argument; the caller prints them and exits with status 2.
Expected<Options, std::string> parse_options(const std::vector<std::string> &args);

std::string usage();

} // namespace sandbox
