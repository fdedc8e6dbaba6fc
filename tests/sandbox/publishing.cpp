// Publishing a container: status and quota checks, then the post and its carousel children.
#include "publishing.hpp"

#include "random_ids.hpp"

namespace sandbox {
namespace {

ReadMediaType read_type(MediaKind kind) {
  switch (kind) {
  case MediaKind::text:
    return ReadMediaType::text_post;
  case MediaKind::image:
    return ReadMediaType::image;
  case MediaKind::video:
    return ReadMediaType::video;
  case MediaKind::carousel:
    return ReadMediaType::carousel_album;
  }
  return ReadMediaType::text_post;
}

PostRecord make_post(World &world, const ContainerRecord &container, TimePoint now) {
  PostRecord post;
  post.id = world.new_id("178");
  post.owner_id = container.owner_id;
  post.container_id = container.id;
  post.shortcode = random_shortcode();
  post.media_type = read_type(container.content.kind);
  post.content = container.content;
  post.timestamp = now;
  return post;
}

} // namespace

Expected<PostRecord *, GraphError> publish(World &world, ContainerRecord &container,
                                           TimePoint now) {
  const ContainerStatus status = world.container_status(container, now);
  const bool republish = status == ContainerStatus::published && world.config.no_server_dedup;
  if (status != ContainerStatus::finished && !republish) {
    return unexpected(errors::media_not_found(container.id));
  }
  if (container.is_carousel_item) {
    return unexpected(errors::invalid_parameter(
        "creation_id", "a carousel item cannot be published on its own; publish its carousel"));
  }
  UserQuotas &quotas = world.quotas[container.owner_id];
  const bool is_reply = !container.content.reply_to_id.empty();
  RollingLog &log = is_reply ? quotas.replies : quotas.posts;
  const std::int64_t limit = is_reply ? world.config.quota.replies : world.config.quota.posts;
  if (log.count(now) >= limit) {
    return unexpected(errors::quota_exceeded(is_reply ? "replies" : "posts", limit));
  }

  PostRecord post = make_post(world, container, now);
  if (is_reply) {
    PostRecord *target = world.find_post(container.content.reply_to_id);
    if (target != nullptr) {
      ++target->visible_direct_replies;
    }
    post.replied_to_id = container.content.reply_to_id;
    post.root_post_id = target == nullptr || target->root_post_id.empty()
                            ? container.content.reply_to_id
                            : target->root_post_id;
  }
  for (const auto &child_id : container.children) {
    ContainerRecord *child = world.find_container(child_id);
    if (child == nullptr) {
      continue;
    }
    PostRecord child_post = make_post(world, *child, now);
    child_post.album_id = post.id;
    child->published_media_id = child_post.id;
    post.children.push_back(child_post.id);
    world.add_post(std::move(child_post));
  }
  container.published_media_id = post.id;
  log.add(now);
  ++world.stats.publishes;
  ++world.stats.publishes_by_user[container.owner_id];
  return &world.add_post(std::move(post));
}

} // namespace sandbox
