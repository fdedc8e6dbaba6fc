// The Graph parameters of the containers a post needs (children, carousel, single).
#pragma once

#include "actions/post_input.hpp"
#include "graph/graph_client.hpp"

namespace threads::actions {

// The container of a single-container post (text, image or video), or of the carousel
// itself when `children` are given.
graph::Params post_container_params(const PostInput &in, const std::vector<std::string> &children);

// One carousel item.
graph::Params carousel_item_params(const MediaItem &item);

} // namespace threads::actions
