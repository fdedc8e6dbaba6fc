// Full JSON objects for users, containers and posts, before field selection trims them.
#pragma once

#include "world.hpp"

#include <boost/json/object.hpp>

#include <string_view>
#include <vector>

namespace sandbox {

// Field names each node type accepts in `fields` (others get the 100 "nonexisting field").
const std::vector<std::string_view> &user_fields();
const std::vector<std::string_view> &container_fields();
const std::vector<std::string_view> &post_fields();

boost::json::object user_json(const UserRecord &user);

// id, status, error_message (status computed at `now`).
boost::json::object container_json(const World &world, const ContainerRecord &container,
                                   TimePoint now);

// Every field a post has, as `viewer_id` sees it (owner and is_reply_owned_by_me depend on
// the viewer). Children are expanded to full objects so `children{...}` can select from them.
boost::json::object post_json(const World &world, const PostRecord &post,
                              std::string_view viewer_id, TimePoint now);

std::string permalink(const World &world, const PostRecord &post);

} // namespace sandbox
