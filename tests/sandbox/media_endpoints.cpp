// Changing published media: DELETE /{media-id}, POST /{media-id}/repost, POST
// /{reply-id}/manage_reply.
#include "auth.hpp"
#include "endpoints.hpp"
#include "random_ids.hpp"

#include <boost/json.hpp>

namespace sandbox {
namespace json = boost::json;

Reply delete_media(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_delete"});
  if (!caller) {
    return caller.error();
  }
  const std::string &id = ctx.segments[0];
  PostRecord *post = ctx.world.find_post(id);
  if (post == nullptr || !post->visible() || post->owner_id != caller->user->id ||
      !post->album_id.empty()) {
    return graph_error_reply(errors::unsupported_request(ctx.request.method, id));
  }
  RollingLog &log = ctx.world.quotas[caller->user->id].deletes;
  if (log.count(ctx.now) >= ctx.world.config.quota.deletes) {
    return graph_error_reply(errors::quota_exceeded("deletes", ctx.world.config.quota.deletes));
  }
  post->deleted_at = ctx.now;
  if (PostRecord *parent = post->is_reply() ? ctx.world.find_post(post->replied_to_id) : nullptr) {
    --parent->visible_direct_replies;
  }
  for (const auto &child_id : post->children) {
    if (PostRecord *child = ctx.world.find_post(child_id)) {
      child->deleted_at = ctx.now;
    }
  }
  log.add(ctx.now);
  ++ctx.world.stats.deletes;
  return json_reply(json::object{{"success", true}, {"deleted_id", id}});
}

Reply repost_media(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_content_publish"});
  if (!caller) {
    return caller.error();
  }
  const std::string &id = ctx.segments[0];
  const PostRecord *target = ctx.world.find_post(id);
  if (target == nullptr || !target->visible() || !target->album_id.empty() ||
      target->media_type == ReadMediaType::repost_facade) {
    return graph_error_reply(errors::unsupported_request(ctx.request.method, id));
  }
  for (const auto &[other_id, other] : ctx.world.posts) {
    if (other.visible() && other.media_type == ReadMediaType::repost_facade &&
        other.owner_id == caller->user->id && other.reposted_post_id == id) {
      return graph_error_reply(
          errors::invalid_parameter("id", "this post has already been reposted by this user"));
    }
  }
  PostRecord repost;
  repost.id = ctx.world.new_id("178");
  repost.owner_id = caller->user->id;
  repost.shortcode = random_shortcode();
  repost.media_type = ReadMediaType::repost_facade;
  repost.reposted_post_id = id;
  repost.timestamp = ctx.now;
  ++ctx.world.stats.reposts;
  const PostRecord &stored = ctx.world.add_post(std::move(repost));
  return json_reply(json::object{{"id", stored.id}});
}

Reply manage_reply(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_manage_replies"});
  if (!caller) {
    return caller.error();
  }
  const std::string &id = ctx.segments[0];
  PostRecord *reply = ctx.world.find_post(id);
  const PostRecord *root = reply != nullptr ? ctx.world.find_post(reply->root_post_id) : nullptr;
  if (reply == nullptr || !reply->visible() || !reply->is_reply() || root == nullptr ||
      root->owner_id != caller->user->id) {
    return graph_error_reply(errors::unsupported_request(ctx.request.method, id));
  }
  if (reply->replied_to_id != reply->root_post_id) {
    return graph_error_reply(errors::invalid_parameter(
        "reply_id", "only top-level replies can be hidden; nested replies follow them"));
  }
  const std::string_view hide = ctx.param("hide");
  if (hide != "true" && hide != "false") {
    return graph_error_reply(hide.empty()
                                 ? errors::missing_parameter("hide")
                                 : errors::invalid_parameter("hide", "must be true or false"));
  }
  reply->hide_status = hide == "true" ? HideStatus::hidden : HideStatus::unhushed;
  return json_reply(json::object{{"success", true}});
}

} // namespace sandbox
