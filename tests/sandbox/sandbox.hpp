// The service as a whole: the world state behind one lock, the clock, and the start settings.
#pragma once

#include "clock.hpp"
#include "world.hpp"

#include <mutex>
#include <vector>

namespace sandbox {

// What the command line fixes for the life of the process.
struct StartSettings {
  std::vector<AppRecord> apps;
  bool revoke_on_refresh = false;
};

class Sandbox {
public:
  explicit Sandbox(StartSettings settings);

  // Back to the start state: only the default user, clock offset 0, default config, no
  // faults, zero stats. The caller holds `mutex`.
  void reset();

  std::mutex mutex; // guards `world`; endpoint handlers run with it held
  World world;
  SandboxClock clock;

private:
  StartSettings settings_;
};

} // namespace sandbox
