// What an endpoint handler works with: the request, its parameters, the world, the time.
#pragma once

#include "clock.hpp"
#include "http_message.hpp"
#include "params.hpp"
#include "world.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace boost::json {
class value;
}

namespace sandbox {

struct Context {
  const Request &request;
  const Params &params;
  std::string path;                  // the decoded request path, version prefix included
  std::vector<std::string> segments; // path segments after the version prefix
  World &world;
  SandboxClock &clock;
  TimePoint now;

  // The parameter's value, empty when absent.
  std::string_view param(std::string_view key) const;
  bool has_param(std::string_view key) const;
};

Reply json_reply(const boost::json::value &body, unsigned status = 200);

} // namespace sandbox
