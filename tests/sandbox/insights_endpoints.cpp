// GET /{media-id}/insights and GET /{user}/threads_insights, computed from sandbox posts.
#include "auth.hpp"
#include "endpoints.hpp"
#include "paging.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace sandbox {
namespace json = boost::json;

namespace {

constexpr std::int64_t earliest_insights = 1712991600; // 2024-04-13, threads-api.md 3.9

// Account insights take since/until as Unix timestamps only (threads-api.md 3.9; unlike
// the list endpoints, no strtotime text), not before earliest_insights, since < until.
Expected<std::pair<std::optional<TimePoint>, std::optional<TimePoint>>, GraphError>
read_insights_range(const Context &ctx) {
  std::pair<std::optional<TimePoint>, std::optional<TimePoint>> range;
  for (const auto &[name, target] :
       {std::pair{"since", &range.first}, std::pair{"until", &range.second}}) {
    if (!ctx.has_param(name)) {
      continue;
    }
    const std::string_view text = ctx.param(name);
    const bool digits = !text.empty() && text.find_first_not_of("0123456789") == text.npos;
    if (!digits || text.size() > 12) {
      return unexpected(errors::invalid_parameter(name, "must be a Unix timestamp"));
    }
    const std::int64_t seconds = std::stoll(std::string(text));
    if (seconds < earliest_insights) {
      return unexpected(
          errors::invalid_parameter(name, "must not be earlier than 1712991600 (2024-04-13)"));
    }
    *target = from_unix_seconds(seconds);
  }
  if (range.first && range.second && *range.first >= *range.second) {
    return unexpected(errors::invalid_parameter("since", "must be earlier than until"));
  }
  return range;
}

std::vector<std::string> split_metrics(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (c == ',') {
      if (!current.empty()) {
        out.push_back(std::move(current));
      }
      current.clear();
    } else if (c != ' ') {
      current += c;
    }
  }
  if (!current.empty()) {
    out.push_back(std::move(current));
  }
  return out;
}

std::string title_of(std::string_view metric) {
  std::string title(metric);
  std::replace(title.begin(), title.end(), '_', ' ');
  if (!title.empty()) {
    title[0] = static_cast<char>(title[0] - 'a' + 'A');
  }
  return title;
}

// "<object id>/insights/<metric>/<period>", the id Graph gives each insight.
std::string insight_id(std::string_view object_id, std::string_view metric,
                       std::string_view period) {
  std::string id(object_id);
  id.append("/insights/").append(metric).append("/").append(period);
  return id;
}

std::string describe(std::string_view metric, std::string_view of) {
  std::string text = "Sandbox ";
  text.append(metric).append(" of ").append(of);
  return text;
}

std::int64_t count_posts(const World &world, const std::function<bool(const PostRecord &)> &f) {
  return std::count_if(world.posts.begin(), world.posts.end(), [&](const auto &entry) {
    return entry.second.visible() && f(entry.second);
  });
}

Expected<std::vector<std::string>, Reply> read_metrics(const Context &ctx,
                                                       const std::vector<std::string_view> &known) {
  const auto metrics = split_metrics(ctx.param("metric"));
  if (metrics.empty()) {
    return unexpected(graph_error_reply(errors::missing_parameter("metric")));
  }
  for (const auto &metric : metrics) {
    if (std::find(known.begin(), known.end(), metric) == known.end()) {
      return unexpected(graph_error_reply(
          errors::invalid_parameter("metric", "'" + metric + "' is not a valid insights metric")));
    }
  }
  return metrics;
}

TimePoint start_of_day(TimePoint t) {
  return from_unix_seconds(unix_seconds(t) - unix_seconds(t) % 86400);
}

} // namespace

Reply media_insights(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_manage_insights"});
  if (!caller) {
    return caller.error();
  }
  const PostRecord *post = ctx.world.find_post(ctx.segments[0]);
  if (post == nullptr || !post->visible() || post->owner_id != caller->user->id) {
    return graph_error_reply(errors::unsupported_request(ctx.request.method, ctx.segments[0]));
  }
  auto metrics = read_metrics(ctx, {"views", "likes", "replies", "reposts", "quotes", "shares"});
  if (!metrics) {
    return metrics.error();
  }
  json::array data;
  if (post->media_type == ReadMediaType::repost_facade) {
    return json_reply(json::object{{"data", std::move(data)}});
  }
  const std::string id = post->id;
  const bool is_root = !post->is_reply();
  for (const auto &metric : *metrics) {
    std::int64_t value = 0;
    if (metric == "views") {
      value = post->metrics.views;
    } else if (metric == "likes") {
      value = post->metrics.likes;
    } else if (metric == "shares") {
      value = post->metrics.shares;
    } else if (metric == "replies") {
      // A root post counts every reply in its conversation, a reply only its direct ones.
      value = count_posts(ctx.world, [&](const PostRecord &p) {
        return is_root ? p.root_post_id == id : p.replied_to_id == id;
      });
    } else if (metric == "reposts") {
      value = count_posts(ctx.world, [&](const PostRecord &p) { return p.reposted_post_id == id; });
    } else if (metric == "quotes") {
      value = count_posts(ctx.world,
                          [&](const PostRecord &p) { return p.content.quote_post_id == id; });
    }
    data.push_back(json::object{{"name", metric},
                                {"period", "lifetime"},
                                {"values", json::array{json::object{{"value", value}}}},
                                {"title", title_of(metric)},
                                {"description", describe(metric, "this post")},
                                {"id", insight_id(id, metric, "lifetime")}});
  }
  return json_reply(json::object{{"data", std::move(data)}});
}

namespace {

// One profile's posts over the asked range, and the metrics computed from them.
struct ProfileRange {
  const World &world;
  const UserRecord &user;
  TimePoint from;
  TimePoint to;
  std::set<std::string> own_posts; // ids of the user's posts, visible or not

  ProfileRange(const World &w, const UserRecord &u, TimePoint f, TimePoint t)
      : world(w), user(u), from(f), to(t) {
    for (const auto &[id, post] : world.posts) {
      if (post.owner_id == user.id) {
        own_posts.insert(id);
      }
    }
  }
  bool in_range(const PostRecord &p) const { return p.timestamp >= from && p.timestamp <= to; }
  bool own_in_range(const PostRecord &p) const {
    return p.visible() && p.owner_id == user.id && in_range(p);
  }

  // "views": one value per day, each with the end of its day.
  json::array daily_views() const {
    json::array values;
    for (TimePoint day = start_of_day(from); day <= to; day += days(1)) {
      std::int64_t views = 0;
      for (const auto &[id, post] : world.posts) {
        if (post.visible() && post.owner_id == user.id && post.timestamp >= day &&
            post.timestamp < day + days(1)) {
          views += post.metrics.views;
        }
      }
      values.push_back(
          json::object{{"value", views}, {"end_time", graph_timestamp(day + days(1))}});
    }
    return values;
  }

  // "clicks": each link the user's posts carried, once (no clicks are ever made).
  json::array link_clicks() const {
    json::array links;
    std::set<std::string> seen;
    for (const auto &[id, post] : world.posts) {
      if (own_in_range(post) && !post.content.link_attachment.empty() &&
          seen.insert(post.content.link_attachment).second) {
        links.push_back(json::object{{"value", 0}, {"link_url", post.content.link_attachment}});
      }
    }
    return links;
  }

  // The metrics given as one total_value.
  std::int64_t total(std::string_view metric) const {
    if (metric == "likes") {
      std::int64_t sum = 0;
      for (const auto &[id, post] : world.posts) {
        if (own_in_range(post)) {
          sum += post.metrics.likes;
        }
      }
      return sum;
    }
    if (metric == "followers_count") {
      return user.followers_count;
    }
    if (metric == "replies") {
      return count_posts(world, [&](const PostRecord &p) {
        return in_range(p) && p.is_reply() && p.replied_to_id == p.root_post_id &&
               own_posts.count(p.root_post_id) > 0;
      });
    }
    if (metric == "reposts") {
      return count_posts(world, [&](const PostRecord &p) {
        return in_range(p) && own_posts.count(p.reposted_post_id) > 0;
      });
    }
    if (metric == "quotes") {
      return count_posts(world, [&](const PostRecord &p) {
        return in_range(p) && own_posts.count(p.content.quote_post_id) > 0;
      });
    }
    return 0;
  }
};

// One metric's entry; an error for a follower_demographics without a valid breakdown.
Expected<json::object, GraphError>
profile_metric(const ProfileRange &range, const std::string &metric, std::string_view breakdown) {
  json::object entry{{"name", metric},
                     {"period", "day"},
                     {"title", title_of(metric)},
                     {"description", describe(metric, "this profile")},
                     {"id", insight_id(range.user.id, metric, "day")}};
  if (metric == "views") {
    entry["values"] = range.daily_views();
  } else if (metric == "clicks") {
    entry["link_total_values"] = range.link_clicks();
  } else if (metric == "follower_demographics") {
    if (breakdown != "country" && breakdown != "city" && breakdown != "age" &&
        breakdown != "gender") {
      return unexpected(
          errors::invalid_parameter("breakdown", "must be country, city, age or gender"));
    }
    // The real body shape is UNCONFIRMED; this is the Instagram-style breakdown form.
    entry["total_value"] = json::object{
        {"breakdowns",
         json::array{json::object{{"dimension_keys", json::array{json::string(breakdown)}},
                                  {"results", json::array{}}}}}};
  } else {
    entry["total_value"] = json::object{{"value", range.total(metric)}};
  }
  return entry;
}

} // namespace

Reply user_insights(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_manage_insights"});
  if (!caller) {
    return caller.error();
  }
  auto user = resolve_self(ctx, *caller, ctx.segments[0]);
  if (!user) {
    return user.error();
  }
  auto metrics = read_metrics(ctx, {"views", "likes", "replies", "reposts", "quotes", "clicks",
                                    "followers_count", "follower_demographics"});
  if (!metrics) {
    return metrics.error();
  }
  auto range = read_insights_range(ctx);
  if (!range) {
    return graph_error_reply(range.error());
  }
  // Default range: yesterday through now.
  const ProfileRange profile(ctx.world, **user,
                             range->first.value_or(start_of_day(ctx.now) - days(1)),
                             range->second.value_or(ctx.now));
  json::array data;
  for (const auto &metric : *metrics) {
    auto entry = profile_metric(profile, metric, ctx.param("breakdown"));
    if (!entry) {
      return graph_error_reply(entry.error());
    }
    data.push_back(std::move(*entry));
  }
  return json_reply(json::object{{"data", std::move(data)}});
}

} // namespace sandbox
