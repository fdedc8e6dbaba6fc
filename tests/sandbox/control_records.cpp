// Control API records: stats, every post and container, and post metrics for insights.
#include "control_support.hpp"
#include "json_views.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace sandbox::control {
namespace json = boost::json;

Reply stats(const Sandbox &sandbox) {
  const Stats &s = sandbox.world.stats;
  json::object requests;
  std::uint64_t total = 0;
  for (const auto group : endpoint_groups()) {
    const auto it = s.requests.find(group);
    const std::uint64_t n = it == s.requests.end() ? 0 : it->second;
    requests[group] = n;
    total += n;
  }
  requests["total"] = total;
  json::object by_user;
  for (const auto &[user, n] : s.publishes_by_user) {
    by_user[user] = n;
  }
  return ok(json::object{{"publishes", json::object{{"total", s.publishes}, {"by_user", by_user}}},
                         {"requests", std::move(requests)},
                         {"containers", s.containers},
                         {"reposts", s.reposts},
                         {"deletes", s.deletes},
                         {"faults_fired", s.faults_fired}});
}

Reply posts(const Sandbox &sandbox, const Params &query) {
  const World &world = sandbox.world;
  const TimePoint now = sandbox.clock.now();
  const auto user_filter = query.find("user_id");
  std::vector<const PostRecord *> list;
  for (const auto &[id, post] : world.posts) {
    if (post.album_id.empty() &&
        (user_filter == query.end() || post.owner_id == user_filter->second)) {
      list.push_back(&post);
    }
  }
  std::sort(list.begin(), list.end(),
            [](const PostRecord *a, const PostRecord *b) { return a->seq < b->seq; });
  json::array out;
  for (const PostRecord *post : list) {
    json::object entry = post_json(world, *post, post->owner_id, now);
    entry["owner_id"] = post->owner_id;
    entry["container_id"] = post->container_id;
    entry["kind"] = post->media_type == ReadMediaType::repost_facade ? "repost"
                    : post->is_reply()                               ? "reply"
                                                                     : "post";
    entry["deleted"] = post->deleted_at.has_value();
    if (post->deleted_at) {
      entry["deleted_at"] = graph_timestamp(*post->deleted_at);
    }
    entry["metrics"] = json::object{{"views", post->metrics.views},
                                    {"likes", post->metrics.likes},
                                    {"shares", post->metrics.shares}};
    out.push_back(std::move(entry));
  }
  return ok(json::object{{"posts", std::move(out)}});
}

Reply post_metrics(Sandbox &sandbox, const Request &request, std::string_view id) {
  if (request.method != "POST") {
    return method_not_allowed(request.method, "/__sandbox/posts/{id}/metrics");
  }
  PostRecord *post = sandbox.world.find_post(id);
  if (post == nullptr) {
    return fail(404, "no post " + std::string(id));
  }
  auto body = body_object(request);
  if (!body) {
    return body.error();
  }
  Metrics updated = post->metrics;
  for (const auto &entry : *body) {
    std::int64_t *target = entry.key() == "views"    ? &updated.views
                           : entry.key() == "likes"  ? &updated.likes
                           : entry.key() == "shares" ? &updated.shares
                                                     : nullptr;
    if (target == nullptr || !entry.value().is_int64() || entry.value().get_int64() < 0) {
      return fail(400, "metrics are views, likes and shares, integers >= 0");
    }
    *target = entry.value().get_int64();
  }
  post->metrics = updated;
  return ok(json::object{{"id", post->id},
                         {"views", updated.views},
                         {"likes", updated.likes},
                         {"shares", updated.shares}});
}

Reply containers(const Sandbox &sandbox) {
  const World &world = sandbox.world;
  const TimePoint now = sandbox.clock.now();
  json::array out;
  for (const auto &[id, c] : world.containers) {
    json::object entry = container_json(world, c, now);
    entry["owner_id"] = c.owner_id;
    entry["media_type"] = media_kind_name(c.content.kind);
    entry["is_carousel_item"] = c.is_carousel_item;
    entry["created_at"] = graph_timestamp(c.created_at);
    entry["ready_at"] = graph_timestamp(c.ready_at);
    if (!c.published_media_id.empty()) {
      entry["published_media_id"] = c.published_media_id;
    }
    if (!c.children.empty()) {
      json::array children;
      for (const auto &child : c.children) {
        children.push_back(json::string(child));
      }
      entry["children"] = std::move(children);
    }
    out.push_back(std::move(entry));
  }
  return ok(json::object{{"containers", std::move(out)}});
}

} // namespace sandbox::control
