// Maps each request to its endpoint and endpoint group, counts it and applies injected faults.
#pragma once

#include "http_message.hpp"
#include "sandbox.hpp"

namespace sandbox {

class Router {
public:
  explicit Router(Sandbox &sandbox) : sandbox_(sandbox) {}

  // Thread-safe: takes the sandbox lock for the duration of the handler. Delivery faults
  // (stall, reset, truncated) are only described in the Reply; the server performs them.
  Reply handle(const Request &request);

private:
  Sandbox &sandbox_;
};

} // namespace sandbox
