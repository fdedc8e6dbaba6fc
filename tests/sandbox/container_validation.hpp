// Reads and checks POST /{user}/threads parameters as the real API does, before anything exists.
#pragma once

#include "auth.hpp"
#include "context.hpp"
#include "expected.hpp"
#include "graph_errors.hpp"

#include <string>
#include <vector>

namespace sandbox {

struct ContainerDraft {
  PostContent content;
  bool is_carousel_item = false;
  std::vector<std::string> children; // carousel: child container ids, checked
  bool auto_publish = false;
};

// The first problem found, as the Graph error the real API would give (code 100 naming the
// parameter; 10 for a missing permission; THREADS_API__* names for the documented
// link-limit, geo-gating and feature errors).
Expected<ContainerDraft, GraphError>
read_container_request(const Context &ctx, const Caller &caller, const UserRecord &owner);

} // namespace sandbox
