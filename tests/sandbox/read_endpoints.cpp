// Reading: profile, own threads and replies, one post, replies, conversations, mentions, search.
#include "auth.hpp"
#include "endpoints.hpp"
#include "fields.hpp"
#include "json_views.hpp"
#include "paging.hpp"
#include "text_rules.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace sandbox {
namespace json = boost::json;

namespace {

// `fields` (default `id`), checked against the node type's field names.
Expected<std::vector<FieldSpec>, Reply> requested_fields(const Context &ctx,
                                                         const std::vector<std::string_view> &known,
                                                         std::string_view node_type) {
  auto fields = parse_fields(ctx.has_param("fields") ? ctx.param("fields") : "id");
  if (!fields) {
    return unexpected(graph_error_reply(errors::invalid_parameter("fields", fields.error())));
  }
  for (const auto &field : *fields) {
    if (std::find(known.begin(), known.end(), field.name) == known.end()) {
      return unexpected(graph_error_reply(errors::nonexisting_field(field.name, node_type)));
    }
  }
  return std::move(*fields);
}

// reply_audience is gated by threads_read_replies (threads-api.md 1.9).
std::optional<Reply> check_field_scopes(const Caller &caller,
                                        const std::vector<FieldSpec> &fields) {
  for (const auto &field : fields) {
    if (field.name == "reply_audience" && !has_scope(*caller.token, "threads_read_replies")) {
      return graph_error_reply(errors::permission_denied("threads_read_replies"));
    }
  }
  return std::nullopt;
}

const std::vector<std::string_view> &search_fields() {
  static const std::vector<std::string_view> fields = [] {
    std::vector<std::string_view> all = post_fields();
    std::erase(all, std::string_view("owner"));
    return all;
  }();
  return fields;
}

Reply list_posts(const Context &ctx, const Caller &caller, std::vector<const PostRecord *> posts,
                 const PostOrder &order,
                 const std::vector<std::string_view> &known = post_fields()) {
  auto fields = requested_fields(ctx, known, "ThreadsMedia");
  if (!fields) {
    return fields.error();
  }
  if (auto denied = check_field_scopes(caller, *fields)) {
    return *denied;
  }
  auto filtered = filter_by_time(ctx, std::move(posts));
  if (!filtered) {
    return graph_error_reply(filtered.error());
  }
  std::sort(filtered->begin(), filtered->end(),
            [&](const PostRecord *a, const PostRecord *b) { return order(*a, *b); });
  auto page = read_page_request(ctx);
  if (!page) {
    return graph_error_reply(page.error());
  }
  const std::string viewer = caller.user->id;
  auto body = page_json(ctx, *filtered, order, *page, [&](const PostRecord &post) {
    return *project(post_json(ctx.world, post, viewer, ctx.now), *fields, known);
  });
  if (!body) {
    return graph_error_reply(body.error());
  }
  return json_reply(*body);
}

std::vector<const PostRecord *> select_posts(const World &world,
                                             const std::function<bool(const PostRecord &)> &keep) {
  std::vector<const PostRecord *> out;
  for (const auto &[id, post] : world.posts) {
    if (post.visible() && post.album_id.empty() && keep(post)) {
      out.push_back(&post);
    }
  }
  return out;
}

// `reverse` (default true) lists replies newest first; false lists them chronologically.
Expected<PostOrder, Reply> reply_order(const Context &ctx) {
  const std::string_view reverse = ctx.param("reverse");
  if (reverse.empty() || reverse == "true") {
    return PostOrder(newest_first);
  }
  if (reverse == "false") {
    return PostOrder(oldest_first);
  }
  return unexpected(
      graph_error_reply(errors::invalid_parameter("reverse", "must be true or false")));
}

const PostRecord *visible_post(const Context &ctx, std::string_view id) {
  const PostRecord *post = ctx.world.find_post(id);
  return post != nullptr && post->visible() ? post : nullptr;
}

std::string topic_of(const PostRecord &post) {
  return post.content.topic_tag.empty() ? first_hashtag(post.content.text) : post.content.topic_tag;
}

} // namespace

Reply read_profile(Context &ctx) {
  auto caller = authenticate_user(ctx);
  if (!caller) {
    return caller.error();
  }
  auto user = resolve_self(ctx, *caller, ctx.segments[0]);
  if (!user) {
    return user.error();
  }
  auto fields = requested_fields(ctx, user_fields(), "ThreadsUser");
  if (!fields) {
    return fields.error();
  }
  return json_reply(*project(user_json(**user), *fields, user_fields()));
}

Reply read_media(Context &ctx) {
  auto caller = authenticate_user(ctx);
  if (!caller) {
    return caller.error();
  }
  const PostRecord *post = visible_post(ctx, ctx.segments[0]);
  if (post == nullptr) {
    return graph_error_reply(errors::unsupported_request(ctx.request.method, ctx.segments[0]));
  }
  auto fields = requested_fields(ctx, post_fields(), "ThreadsMedia");
  if (!fields) {
    return fields.error();
  }
  if (auto denied = check_field_scopes(*caller, *fields)) {
    return *denied;
  }
  return json_reply(
      *project(post_json(ctx.world, *post, caller->user->id, ctx.now), *fields, post_fields()));
}

Reply list_threads(Context &ctx) {
  auto caller = authenticate_user(ctx);
  if (!caller) {
    return caller.error();
  }
  auto user = resolve_self(ctx, *caller, ctx.segments[0]);
  if (!user) {
    return user.error();
  }
  const std::string owner = (*user)->id;
  // Own top-level posts and reposts; replies are listed by /replies.
  return list_posts(
      ctx, *caller,
      select_posts(ctx.world,
                   [&](const PostRecord &p) { return p.owner_id == owner && !p.is_reply(); }),
      newest_first);
}

Reply list_user_replies(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_read_replies"});
  if (!caller) {
    return caller.error();
  }
  auto user = resolve_self(ctx, *caller, ctx.segments[0]);
  if (!user) {
    return user.error();
  }
  const std::string owner = (*user)->id;
  return list_posts(
      ctx, *caller,
      select_posts(ctx.world,
                   [&](const PostRecord &p) { return p.owner_id == owner && p.is_reply(); }),
      newest_first);
}

Reply list_mentions(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_manage_mentions"});
  if (!caller) {
    return caller.error();
  }
  auto user = resolve_self(ctx, *caller, ctx.segments[0]);
  if (!user) {
    return user.error();
  }
  const UserRecord &me = **user;
  return list_posts(ctx, *caller,
                    select_posts(ctx.world,
                                 [&](const PostRecord &p) {
                                   return p.owner_id != me.id &&
                                          p.media_type != ReadMediaType::repost_facade &&
                                          mentions(p.content.text, me.username);
                                 }),
                    newest_first);
}

Reply list_replies(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_read_replies"});
  if (!caller) {
    return caller.error();
  }
  const PostRecord *post = visible_post(ctx, ctx.segments[0]);
  if (post == nullptr) {
    return graph_error_reply(errors::unsupported_request(ctx.request.method, ctx.segments[0]));
  }
  auto order = reply_order(ctx);
  if (!order) {
    return order.error();
  }
  const std::string id = post->id;
  return list_posts(
      ctx, *caller,
      select_posts(ctx.world, [&](const PostRecord &p) { return p.replied_to_id == id; }), *order);
}

Reply list_conversation(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_read_replies"});
  if (!caller) {
    return caller.error();
  }
  const PostRecord *post = visible_post(ctx, ctx.segments[0]);
  if (post == nullptr) {
    return graph_error_reply(errors::unsupported_request(ctx.request.method, ctx.segments[0]));
  }
  auto order = reply_order(ctx);
  if (!order) {
    return order.error();
  }
  // All depths, flattened; for a reply, the replies below it.
  const std::string id = post->id;
  const bool is_root = !post->is_reply();
  return list_posts(ctx, *caller,
                    select_posts(ctx.world,
                                 [&](const PostRecord &p) {
                                   if (is_root) {
                                     return p.root_post_id == id;
                                   }
                                   for (const PostRecord *up = &p; up != nullptr && up->is_reply();
                                        up = ctx.world.find_post(up->replied_to_id)) {
                                     if (up->replied_to_id == id) {
                                       return true;
                                     }
                                   }
                                   return false;
                                 }),
                    *order);
}

Reply keyword_search(Context &ctx) {
  auto caller = authenticate_user(ctx, {"threads_keyword_search"});
  if (!caller) {
    return caller.error();
  }
  const std::string q(ctx.param("q"));
  if (q.empty()) {
    return graph_error_reply(errors::missing_parameter("q"));
  }
  const std::string_view type = ctx.has_param("search_type") ? ctx.param("search_type") : "TOP";
  const std::string_view mode = ctx.has_param("search_mode") ? ctx.param("search_mode") : "KEYWORD";
  const std::string_view media = ctx.param("media_type");
  if (type != "TOP" && type != "RECENT") {
    return graph_error_reply(errors::invalid_parameter("search_type", "must be TOP or RECENT"));
  }
  if (mode != "KEYWORD" && mode != "TAG") {
    return graph_error_reply(errors::invalid_parameter("search_mode", "must be KEYWORD or TAG"));
  }
  if (!media.empty() && media != "TEXT" && media != "IMAGE" && media != "VIDEO") {
    return graph_error_reply(
        errors::invalid_parameter("media_type", "must be TEXT, IMAGE or VIDEO"));
  }
  const std::string tag = q.front() == '#' ? q.substr(1) : q;
  auto found = select_posts(ctx.world, [&](const PostRecord &p) {
    if (p.media_type == ReadMediaType::repost_facade) {
      return false;
    }
    if ((media == "TEXT" && p.media_type != ReadMediaType::text_post) ||
        (media == "IMAGE" && p.media_type != ReadMediaType::image) ||
        (media == "VIDEO" && p.media_type != ReadMediaType::video)) {
      return false;
    }
    if (mode == "TAG") {
      const std::string topic = topic_of(p);
      return topic.size() == tag.size() && contains_ignoring_case(topic, tag);
    }
    return contains_ignoring_case(p.content.text, q);
  });

  auto &searched = caller->user->recently_searched;
  std::erase_if(searched, [&](const SearchedKeyword &k) { return k.query == q; });
  searched.insert(searched.begin(), SearchedKeyword{q, ctx.now});
  if (searched.size() > 20) {
    searched.resize(20);
  }

  const PostOrder top = [](const PostRecord &a, const PostRecord &b) {
    return a.metrics.likes != b.metrics.likes ? a.metrics.likes > b.metrics.likes
                                              : newest_first(a, b);
  };
  return list_posts(ctx, *caller, std::move(found),
                    type == "RECENT" ? PostOrder(newest_first) : top, search_fields());
}

} // namespace sandbox
