// POST /{user}/threads_publish and GET /{user}/threads_publishing_limit.
#include "auth.hpp"
#include "endpoints.hpp"
#include "fields.hpp"
#include "publishing.hpp"

#include <boost/json.hpp>

namespace sandbox {
namespace json = boost::json;

namespace {

json::object quota_config(std::int64_t total) {
  return json::object{{"quota_total", total}, {"quota_duration", 86400}};
}

// The scope each publishing_limit field needs beyond threads_content_publish.
std::string_view extra_scope(std::string_view field) {
  if (field.substr(0, 6) == "reply_") {
    return "threads_manage_replies";
  }
  if (field.substr(0, 7) == "delete_") {
    return "threads_delete";
  }
  if (field.substr(0, 16) == "location_search_") {
    return "threads_location_tagging";
  }
  return {};
}

} // namespace

Reply publish_container(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_content_publish"});
  if (!caller) {
    return caller.error();
  }
  auto owner = resolve_self(ctx, *caller, ctx.segments[0]);
  if (!owner) {
    return owner.error();
  }
  const std::string_view creation_id = ctx.param("creation_id");
  if (creation_id.empty()) {
    return graph_error_reply(errors::missing_parameter("creation_id"));
  }
  ContainerRecord *container = ctx.world.find_container(creation_id);
  if (container == nullptr || container->owner_id != (*owner)->id) {
    return graph_error_reply(errors::media_not_found(creation_id));
  }
  if (ctx.now < container->created_at + ctx.world.config.publish_not_ready) {
    return graph_error_reply(errors::media_not_found(creation_id));
  }
  auto post = publish(ctx.world, *container, ctx.now);
  if (!post) {
    return graph_error_reply(post.error());
  }
  return json_reply(json::object{{"id", (*post)->id}});
}

Reply publishing_limit(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_content_publish"});
  if (!caller) {
    return caller.error();
  }
  auto owner = resolve_self(ctx, *caller, ctx.segments[0]);
  if (!owner) {
    return owner.error();
  }
  auto fields = parse_fields(ctx.has_param("fields") ? ctx.param("fields") : "quota_usage");
  if (!fields) {
    return graph_error_reply(errors::invalid_parameter("fields", fields.error()));
  }
  UserQuotas &quotas = ctx.world.quotas[(*owner)->id];
  const QuotaLimits &limits = ctx.world.config.quota;
  const json::object full{
      {"quota_usage", quotas.posts.count(ctx.now)},
      {"config", quota_config(limits.posts)},
      {"reply_quota_usage", quotas.replies.count(ctx.now)},
      {"reply_config", quota_config(limits.replies)},
      {"delete_quota_usage", quotas.deletes.count(ctx.now)},
      {"delete_config", quota_config(limits.deletes)},
      // Location search is not simulated; its quota is never used.
      {"location_search_quota_usage", 0},
      {"location_search_config", quota_config(500)},
  };
  static const std::vector<std::string_view> known{"quota_usage",
                                                   "config",
                                                   "reply_quota_usage",
                                                   "reply_config",
                                                   "delete_quota_usage",
                                                   "delete_config",
                                                   "location_search_quota_usage",
                                                   "location_search_config"};
  for (const auto &field : *fields) {
    const std::string_view scope = extra_scope(field.name);
    if (!scope.empty() && !has_scope(*caller->token, scope)) {
      return graph_error_reply(errors::permission_denied(scope));
    }
  }
  auto body = project(full, *fields, known);
  if (!body) {
    return graph_error_reply(errors::nonexisting_field(body.error(), "ThreadsPublishingLimit"));
  }
  return json_reply(json::object{{"data", json::array{std::move(*body)}}});
}

} // namespace sandbox
