// The /__sandbox/ control API: users, tokens, clock, config, faults, stats, posts, reset.
#include "control_endpoints.hpp"

#include "auth.hpp"
#include "context.hpp"
#include "json_views.hpp"
#include "text_rules.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace sandbox {
namespace json = boost::json;

namespace {

Reply ok(const json::value &body) { return json_reply(body); }

Reply fail(unsigned status, std::string message) {
  return json_reply(json::object{{"error", std::move(message)}}, status);
}

Reply method_not_allowed(std::string_view method, std::string_view path) {
  return fail(405, std::string(method) + " is not supported on " + std::string(path));
}

Expected<json::object, Reply> body_object(const Request &request) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return json::object{};
  }
  boost::system::error_code ec;
  json::value doc = json::parse(request.body, ec);
  if (ec || !doc.is_object()) {
    return unexpected(fail(400, "the body must be a JSON object"));
  }
  return std::move(doc.get_object());
}

std::optional<double> as_number(const json::value &v) {
  if (v.is_int64()) {
    return static_cast<double>(v.get_int64());
  }
  if (v.is_uint64()) {
    return static_cast<double>(v.get_uint64());
  }
  if (v.is_double() && std::isfinite(v.get_double())) {
    return v.get_double();
  }
  return std::nullopt;
}

Millis seconds_to_millis(double s) {
  return Millis{static_cast<std::int64_t>(std::llround(s * 1000))};
}

// Whole seconds as integers (Boost.JSON would print 1.0 as 1E0), fractions as doubles.
json::value millis_to_seconds(Millis m) {
  if (m.count() % 1000 == 0) {
    return m.count() / 1000;
  }
  return static_cast<double>(m.count()) / 1000.0;
}

std::optional<MediaKind> media_kind_from(std::string_view name) {
  const std::string upper = ascii_upper(name);
  for (MediaKind kind :
       {MediaKind::text, MediaKind::image, MediaKind::video, MediaKind::carousel}) {
    if (media_kind_name(kind) == upper) {
      return kind;
    }
  }
  return std::nullopt;
}

json::object clock_json(const Sandbox &sandbox) {
  const TimePoint now = sandbox.clock.now();
  return json::object{{"now", unix_seconds(now)},
                      {"now_ms", now.time_since_epoch().count()},
                      {"now_iso", graph_timestamp(now)},
                      {"offset_s", millis_to_seconds(sandbox.clock.offset())}};
}

json::object config_json(const Config &config) {
  json::object delays;
  for (const auto &[kind, delay] : config.container_delay) {
    delays[media_kind_name(kind)] = millis_to_seconds(delay);
  }
  return json::object{{"container_delay_s", std::move(delays)},
                      {"revoke_on_refresh", config.revoke_on_refresh},
                      {"accept_bearer", config.accept_bearer},
                      {"exchange_returns_expires_in", config.exchange_returns_expires_in},
                      {"exchange_user_id_as_string", config.exchange_user_id_as_string},
                      {"refresh_keeps_token_string", config.refresh_keeps_token_string},
                      {"quota", json::object{{"posts", config.quota.posts},
                                             {"replies", config.quota.replies},
                                             {"deletes", config.quota.deletes}}}};
}

// Validates every key before changing anything, so a bad request leaves the config as it was.
std::optional<std::string> apply_delays(Config &config, const json::value &spec) {
  if (!spec.is_object()) {
    return "container_delay_s must be an object like {\"TEXT\":1,\"VIDEO\":10}";
  }
  std::map<MediaKind, Millis> updated = config.container_delay;
  for (const auto &entry : spec.get_object()) {
    const auto kind = media_kind_from(entry.key());
    const auto seconds = as_number(entry.value());
    if (!kind) {
      return "unknown media type '" + std::string(entry.key()) +
             "' in container_delay_s (TEXT, IMAGE, VIDEO, CAROUSEL)";
    }
    if (!seconds || *seconds < 0) {
      return "container_delay_s." + std::string(entry.key()) + " must be a number >= 0";
    }
    updated[*kind] = seconds_to_millis(*seconds);
  }
  config.container_delay = std::move(updated);
  return std::nullopt;
}

std::optional<std::string> apply_config(Config &config, const json::object &body) {
  Config updated = config;
  const std::pair<std::string_view, bool *> flags[] = {
      {"revoke_on_refresh", &updated.revoke_on_refresh},
      {"accept_bearer", &updated.accept_bearer},
      {"exchange_returns_expires_in", &updated.exchange_returns_expires_in},
      {"exchange_user_id_as_string", &updated.exchange_user_id_as_string},
      {"refresh_keeps_token_string", &updated.refresh_keeps_token_string},
  };
  for (const auto &entry : body) {
    const std::string_view key = entry.key();
    const auto flag = std::find_if(std::begin(flags), std::end(flags),
                                   [&](const auto &f) { return f.first == key; });
    if (flag != std::end(flags)) {
      if (!entry.value().is_bool()) {
        return std::string(key) + " must be a boolean";
      }
      *flag->second = entry.value().get_bool();
    } else if (key == "container_delay_s") {
      if (auto error = apply_delays(updated, entry.value())) {
        return error;
      }
    } else if (key == "quota") {
      if (!entry.value().is_object()) {
        return std::string("quota must be an object like {\"posts\":250}");
      }
      for (const auto &q : entry.value().get_object()) {
        std::int64_t *target = q.key() == "posts"     ? &updated.quota.posts
                               : q.key() == "replies" ? &updated.quota.replies
                               : q.key() == "deletes" ? &updated.quota.deletes
                                                      : nullptr;
        if (target == nullptr) {
          return "unknown quota '" + std::string(q.key()) + "' (posts, replies, deletes)";
        }
        if (!q.value().is_int64() || q.value().get_int64() < 0) {
          return "quota." + std::string(q.key()) + " must be an integer >= 0";
        }
        *target = q.value().get_int64();
      }
    } else {
      return "unknown config key '" + std::string(key) + "'";
    }
  }
  config = std::move(updated);
  return std::nullopt;
}

Reply users(Sandbox &sandbox, const Request &request) {
  World &world = sandbox.world;
  if (request.method == "GET") {
    json::array list;
    for (const auto &[id, user] : world.users) {
      json::object entry = user_json(user);
      entry["user_id"] = id;
      entry["followers_count"] = user.followers_count;
      list.push_back(std::move(entry));
    }
    return ok(json::object{{"users", std::move(list)}});
  }
  if (request.method != "POST") {
    return method_not_allowed(request.method, "/__sandbox/users");
  }
  auto body = body_object(request);
  if (!body) {
    return body.error();
  }
  const json::value *name = body->if_contains("username");
  if (name == nullptr || !name->is_string() || name->get_string().empty() ||
      name->get_string().size() > 30 ||
      !std::all_of(name->get_string().begin(), name->get_string().end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
      })) {
    return fail(400, "username is required: 1 to 30 letters, digits, '_' or '.'");
  }
  const std::string username(name->get_string());
  if (world.find_user_by_name(username) != nullptr) {
    return fail(409, "username '" + username + "' is taken");
  }
  std::string id;
  if (const json::value *given = body->if_contains("user_id")) {
    if (!given->is_string() || given->get_string().empty() ||
        !std::all_of(given->get_string().begin(), given->get_string().end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return fail(400, "user_id must be a string of digits");
    }
    id = given->get_string();
    if (world.used_ids.count(id) > 0) {
      return fail(409, "id " + id + " is already in use");
    }
  } else {
    id = world.new_id("178414");
  }
  UserRecord user;
  user.username = username;
  user.name = username;
  for (const auto &entry : *body) {
    const std::string_view key = entry.key();
    const json::value &v = entry.value();
    if (key == "username" || key == "user_id") {
      continue;
    }
    if ((key == "name" || key == "biography") && v.is_string()) {
      (key == "name" ? user.name : user.biography) = v.get_string();
    } else if ((key == "is_verified" || key == "is_eligible_for_geo_gating") && v.is_bool()) {
      (key == "is_verified" ? user.is_verified : user.is_eligible_for_geo_gating) = v.get_bool();
    } else if (key == "followers_count" && v.is_int64() && v.get_int64() >= 0) {
      user.followers_count = v.get_int64();
    } else {
      return fail(400, "bad or unknown user field '" + std::string(key) + "'");
    }
  }
  UserRecord &stored = world.add_user(id, username);
  const std::string picture = stored.profile_picture_url;
  stored = std::move(user);
  stored.id = id;
  stored.profile_picture_url = picture;
  return ok(json::object{{"user_id", id}, {"username", username}, {"name", stored.name}});
}

json::object token_json(const TokenRecord &token, TimePoint now) {
  json::array scopes;
  for (const auto &scope : token.scopes) {
    scopes.push_back(json::string(scope));
  }
  json::object out{{"kind", token_kind_name(token.kind)},
                   {"app_id", token.app_id},
                   {"issued_at", unix_seconds(token.issued_at)},
                   {"scopes", std::move(scopes)}};
  if (!token.user_id.empty()) {
    out["user_id"] = token.user_id;
  }
  if (token.expires_at != TimePoint::max()) {
    out["expires_at"] = unix_seconds(token.expires_at);
    out["expires_in"] =
        std::chrono::duration_cast<std::chrono::seconds>(token.expires_at - now).count();
  }
  return out;
}

Reply issue_token(Sandbox &sandbox, const Request &request) {
  if (request.method != "POST") {
    return method_not_allowed(request.method, "/__sandbox/tokens");
  }
  auto body = body_object(request);
  if (!body) {
    return body.error();
  }
  World &world = sandbox.world;
  const TimePoint now = sandbox.clock.now();
  const UserRecord *user = world.find_user(default_user_id);
  if (const json::value *v = body->if_contains("user_id")) {
    user = v->is_string() ? world.find_user(v->get_string()) : nullptr;
    if (user == nullptr) {
      return fail(404, "no user with that user_id");
    }
  } else if (const json::value *name = body->if_contains("username")) {
    user = name->is_string() ? world.find_user_by_name(name->get_string()) : nullptr;
    if (user == nullptr) {
      return fail(404, "no user with that username");
    }
  }
  TokenKind kind = TokenKind::long_lived;
  if (const json::value *v = body->if_contains("kind")) {
    if (!v->is_string() || (v->get_string() != "short" && v->get_string() != "long")) {
      return fail(400, "kind must be \"short\" or \"long\"");
    }
    kind = v->get_string() == "short" ? TokenKind::short_lived : TokenKind::long_lived;
  }
  std::set<std::string> scopes(all_scopes().begin(), all_scopes().end());
  if (const json::value *v = body->if_contains("scopes")) {
    if (!v->is_array()) {
      return fail(400, "scopes must be an array of scope names");
    }
    scopes.clear();
    for (const auto &scope : v->get_array()) {
      if (!scope.is_string() || !is_known_scope(scope.get_string())) {
        return fail(400, "unknown scope " + json::serialize(scope));
      }
      scopes.emplace(scope.get_string());
    }
  }
  Millis age{0};
  if (const json::value *v = body->if_contains("age_s")) {
    const auto seconds = as_number(*v);
    if (!seconds || *seconds < 0) {
      return fail(400, "age_s must be a number >= 0");
    }
    age = seconds_to_millis(*seconds);
  }
  std::string app_id = world.apps.front().id;
  if (const json::value *v = body->if_contains("app_id")) {
    if (!v->is_string() || world.find_app(v->get_string()) == nullptr) {
      return fail(404, "no app with that app_id");
    }
    app_id = v->get_string();
  }
  const TokenRecord &token = world.issue_user_token(app_id, user->id, kind, scopes, now - age);
  json::object out = token_json(token, now);
  out["access_token"] = token.value;
  out["token_type"] = "bearer";
  return ok(out);
}

Reply check_token(Sandbox &sandbox, const Params &query) {
  const auto it = query.find("access_token");
  if (it == query.end() || it->second.empty()) {
    return fail(400, "access_token query parameter is required");
  }
  const TimePoint now = sandbox.clock.now();
  const auto found = sandbox.world.tokens.find(it->second);
  if (found == sandbox.world.tokens.end()) {
    return ok(json::object{{"valid", false}, {"reason", "unknown"}});
  }
  const TokenRecord &token = found->second;
  const char *reason = token.revoked ? "revoked" : now >= token.expires_at ? "expired" : "ok";
  json::object out = token_json(token, now);
  out["valid"] = std::string_view(reason) == "ok";
  out["reason"] = reason;
  return ok(out);
}

Reply clock(Sandbox &sandbox, const Request &request) {
  if (request.method == "POST") {
    auto body = body_object(request);
    if (!body) {
      return body.error();
    }
    const json::value *advance = body->if_contains("advance_s");
    const json::value *offset = body->if_contains("offset_s");
    if ((advance == nullptr) == (offset == nullptr) || body->size() != 1) {
      return fail(400, "send exactly one of {\"advance_s\": N} or {\"offset_s\": N}");
    }
    const auto seconds = as_number(advance != nullptr ? *advance : *offset);
    if (!seconds) {
      return fail(400, "the value must be a number of seconds");
    }
    if (advance != nullptr) {
      sandbox.clock.advance(seconds_to_millis(*seconds));
    } else {
      sandbox.clock.set_offset(seconds_to_millis(*seconds));
    }
  } else if (request.method != "GET") {
    return method_not_allowed(request.method, "/__sandbox/clock");
  }
  return ok(clock_json(sandbox));
}

Reply config(Sandbox &sandbox, const Request &request, bool delays_only) {
  Config &config = sandbox.world.config;
  if (request.method == "POST") {
    auto body = body_object(request);
    if (!body) {
      return body.error();
    }
    const auto error = delays_only ? apply_delays(config, *body) : apply_config(config, *body);
    if (error) {
      return fail(400, *error);
    }
  } else if (request.method != "GET") {
    return method_not_allowed(request.method, "/__sandbox/config");
  }
  return ok(config_json(config));
}

json::array fault_list(const FaultTable &faults) {
  json::array list;
  for (const auto &rule : faults.rules()) {
    list.push_back(to_json(rule));
  }
  return list;
}

Reply faults(Sandbox &sandbox, const Request &request) {
  FaultTable &table = sandbox.world.faults;
  if (request.method == "GET") {
    return ok(json::object{{"faults", fault_list(table)}});
  }
  if (request.method == "DELETE") {
    const auto cleared = table.rules().size();
    table.clear();
    return ok(json::object{{"cleared", cleared}});
  }
  if (request.method != "POST") {
    return method_not_allowed(request.method, "/__sandbox/faults");
  }
  boost::system::error_code ec;
  const json::value doc = json::parse(request.body, ec);
  if (ec) {
    return fail(400, "the body must be a fault object, an array of them, or {\"faults\":[...]}");
  }
  json::array specs;
  if (doc.is_array()) {
    specs = doc.get_array();
  } else if (doc.is_object() && doc.get_object().contains("faults") &&
             doc.get_object().at("faults").is_array()) {
    specs = doc.get_object().at("faults").get_array();
  } else if (doc.is_object()) {
    specs.push_back(doc);
  } else {
    return fail(400, "the body must be a fault object, an array of them, or {\"faults\":[...]}");
  }
  std::vector<FaultRule> rules;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!specs[i].is_object()) {
      return fail(400, "fault #" + std::to_string(i) + " is not an object");
    }
    auto rule = parse_fault_rule(specs[i].get_object());
    if (!rule) {
      return fail(400, "fault #" + std::to_string(i) + ": " + rule.error());
    }
    rules.push_back(std::move(*rule));
  }
  json::array ids;
  for (auto &rule : rules) {
    ids.push_back(table.add(std::move(rule)));
  }
  return ok(json::object{{"ids", std::move(ids)}, {"faults", fault_list(table)}});
}

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

} // namespace

Reply handle_control(Sandbox &sandbox, const Request &request, std::string_view path,
                     const Params &query) {
  std::string_view rest = path.substr(std::string_view("/__sandbox").size());
  while (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
  }
  const bool get = request.method == "GET";
  if (rest.empty() || rest == "/health") {
    return ok(json::object{{"ok", true}});
  }
  if (rest == "/users") {
    return users(sandbox, request);
  }
  if (rest == "/tokens") {
    return issue_token(sandbox, request);
  }
  if (rest == "/tokens/check") {
    return get ? check_token(sandbox, query) : method_not_allowed(request.method, path);
  }
  if (rest == "/clock") {
    return clock(sandbox, request);
  }
  if (rest == "/config") {
    return config(sandbox, request, false);
  }
  if (rest == "/container_delays") {
    return config(sandbox, request, true);
  }
  if (rest == "/faults") {
    return faults(sandbox, request);
  }
  if (rest == "/stats") {
    return get ? stats(sandbox) : method_not_allowed(request.method, path);
  }
  if (rest == "/posts") {
    return get ? posts(sandbox, query) : method_not_allowed(request.method, path);
  }
  if (rest == "/containers") {
    return get ? containers(sandbox) : method_not_allowed(request.method, path);
  }
  constexpr std::string_view posts_prefix = "/posts/";
  constexpr std::string_view metrics_suffix = "/metrics";
  if (rest.substr(0, posts_prefix.size()) == posts_prefix && rest.size() > metrics_suffix.size() &&
      rest.substr(rest.size() - metrics_suffix.size()) == metrics_suffix) {
    return post_metrics(sandbox, request,
                        rest.substr(posts_prefix.size(),
                                    rest.size() - posts_prefix.size() - metrics_suffix.size()));
  }
  if (rest == "/reset") {
    if (request.method != "POST") {
      return method_not_allowed(request.method, path);
    }
    sandbox.reset();
    return ok(json::object{{"ok", true}});
  }
  return fail(404, "no control endpoint " + std::string(path));
}

} // namespace sandbox
