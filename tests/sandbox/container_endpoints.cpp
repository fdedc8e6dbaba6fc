// POST /{user}/threads (container creation, auto_publish_text) and GET /{container-id}.
#include "auth.hpp"
#include "container_validation.hpp"
#include "endpoints.hpp"
#include "fields.hpp"
#include "json_views.hpp"
#include "publishing.hpp"

#include <boost/json.hpp>

namespace sandbox {
namespace json = boost::json;

Reply create_container(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_content_publish"});
  if (!caller) {
    return caller.error();
  }
  auto owner = resolve_self(ctx, *caller, ctx.segments[0]);
  if (!owner) {
    return owner.error();
  }
  auto draft = read_container_request(ctx, *caller, **owner);
  if (!draft) {
    return graph_error_reply(draft.error());
  }
  ContainerRecord container;
  container.id = ctx.world.new_id("178");
  container.owner_id = (*owner)->id;
  container.app_id = caller->token->app_id;
  container.is_carousel_item = draft->is_carousel_item;
  container.content = std::move(draft->content);
  container.children = std::move(draft->children);
  container.created_at = ctx.now;
  container.ready_at = ctx.now + ctx.world.config.container_delay[container.content.kind];
  if (auto error = ctx.world.faults.take_container_error("create")) {
    container.injected_error = std::move(*error);
  }
  ++ctx.world.stats.containers;
  const std::string id = container.id;
  ContainerRecord &stored = ctx.world.containers[id] = std::move(container);

  if (draft->auto_publish) {
    // Auto-published text skips processing: the answer is the published media id.
    stored.ready_at = ctx.now;
    auto post = publish(ctx.world, stored, ctx.now);
    if (!post) {
      return graph_error_reply(post.error());
    }
    return json_reply(json::object{{"id", (*post)->id}});
  }
  return json_reply(json::object{{"id", id}});
}

Reply read_container(Context &ctx) {
  auto caller = authenticate_user(ctx);
  if (!caller) {
    return caller.error();
  }
  const ContainerRecord *container = ctx.world.find_container(ctx.segments[0]);
  if (container == nullptr || container->owner_id != caller->user->id) {
    return graph_error_reply(errors::unsupported_request(ctx.request.method, ctx.segments[0]));
  }
  auto fields = parse_fields(ctx.has_param("fields") ? ctx.param("fields") : "id,status");
  if (!fields) {
    return graph_error_reply(errors::invalid_parameter("fields", fields.error()));
  }
  auto body = project(container_json(ctx.world, *container, ctx.now), *fields, container_fields());
  if (!body) {
    return graph_error_reply(errors::nonexisting_field(body.error(), "ThreadsMediaContainer"));
  }
  return json_reply(*body);
}

} // namespace sandbox
