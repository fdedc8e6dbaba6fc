// Turning a FINISHED container into a post, under the rolling 24-hour quotas.
#pragma once

#include "expected.hpp"
#include "graph_errors.hpp"
#include "world.hpp"

namespace sandbox {

// Publishes `container` once: anything but FINISHED (IN_PROGRESS, ERROR, EXPIRED, and an
// already PUBLISHED container) is the 24/4279009 "does not exist" error, so a repeated publish
// never creates a second post. Replies count against the reply quota, other posts against
// the post quota; a carousel is one post whose children become child media.
Expected<PostRecord *, GraphError> publish(World &world, ContainerRecord &container, TimePoint now);

} // namespace sandbox
