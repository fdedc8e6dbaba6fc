// Builds and resets the sandbox's start state.
#include "sandbox.hpp"

#include <utility>

namespace sandbox {

Sandbox::Sandbox(StartSettings settings) : settings_(std::move(settings)) {
  if (settings_.apps.empty()) {
    settings_.apps.push_back({std::string(default_app_id), std::string(default_app_secret)});
  }
  reset();
}

void Sandbox::reset() {
  world = World{};
  world.apps = settings_.apps;
  for (const auto &app : world.apps) {
    world.used_ids.insert(app.id);
  }
  world.config.revoke_on_refresh = settings_.revoke_on_refresh;
  UserRecord &user = world.add_user(std::string(default_user_id), std::string(default_username));
  user.name = "Threads API Test User";
  user.biography = "The threads-sandbox default user.";
  clock.set_offset(Millis{0});
}

} // namespace sandbox
