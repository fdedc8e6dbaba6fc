// Control API accounts: creating users, issuing tokens directly, checking a token.
#include "auth.hpp"
#include "control_support.hpp"
#include "json_views.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace sandbox::control {
namespace json = boost::json;

namespace {

json::object token_json(const TokenRecord &token, TimePoint now) {
  json::array scopes;
  for (const auto &scope : *token.scopes)
    scopes.push_back(json::string(scope));
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

} // namespace

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
      return fail(400, R"(kind must be "short" or "long")");
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
  const TokenRecord &token = world.issue_user_token(
      app_id, user->id, kind, std::make_shared<const std::set<std::string>>(std::move(scopes)),
      now - age);
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

} // namespace sandbox::control
