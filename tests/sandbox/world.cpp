// Lookups, id allocation, token issue and container status rules over the World.
#include "world.hpp"

#include "random_ids.hpp"

#include <algorithm>

namespace sandbox {

const std::shared_ptr<const std::set<std::string>> &no_scopes() {
  static const auto none = std::make_shared<const std::set<std::string>>();
  return none;
}

const std::vector<std::string> &all_scopes() {
  static const std::vector<std::string> scopes{"threads_basic",
                                               "threads_content_publish",
                                               "threads_manage_replies",
                                               "threads_read_replies",
                                               "threads_manage_insights",
                                               "threads_keyword_search",
                                               "threads_manage_mentions",
                                               "threads_delete",
                                               "threads_location_tagging",
                                               "threads_profile_discovery",
                                               "threads_share_to_instagram"};
  return scopes;
}

bool is_known_scope(std::string_view scope) {
  const auto &scopes = all_scopes();
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string_view token_kind_name(TokenKind kind) {
  switch (kind) {
  case TokenKind::short_lived:
    return "short";
  case TokenKind::long_lived:
    return "long";
  case TokenKind::app:
    return "app";
  }
  return "?";
}

std::string_view media_kind_name(MediaKind kind) {
  switch (kind) {
  case MediaKind::text:
    return "TEXT";
  case MediaKind::image:
    return "IMAGE";
  case MediaKind::video:
    return "VIDEO";
  case MediaKind::carousel:
    return "CAROUSEL";
  }
  return "?";
}

std::string_view container_status_name(ContainerStatus status) {
  switch (status) {
  case ContainerStatus::in_progress:
    return "IN_PROGRESS";
  case ContainerStatus::finished:
    return "FINISHED";
  case ContainerStatus::published:
    return "PUBLISHED";
  case ContainerStatus::error:
    return "ERROR";
  case ContainerStatus::expired:
    return "EXPIRED";
  }
  return "?";
}

std::string_view read_media_type_name(ReadMediaType type) {
  switch (type) {
  case ReadMediaType::text_post:
    return "TEXT_POST";
  case ReadMediaType::image:
    return "IMAGE";
  case ReadMediaType::video:
    return "VIDEO";
  case ReadMediaType::carousel_album:
    return "CAROUSEL_ALBUM";
  case ReadMediaType::repost_facade:
    return "REPOST_FACADE";
  }
  return "?";
}

std::string_view hide_status_name(HideStatus status) {
  switch (status) {
  case HideStatus::not_hushed:
    return "NOT_HUSHED";
  case HideStatus::unhushed:
    return "UNHUSHED";
  case HideStatus::hidden:
    return "HIDDEN";
  }
  return "?";
}

std::int64_t RollingLog::count(TimePoint now) {
  const TimePoint start = now - quota_window;
  while (!events.empty() && events.front() <= start) {
    events.pop_front();
  }
  return static_cast<std::int64_t>(events.size());
}

const AppRecord *World::find_app(std::string_view id) const {
  const auto it =
      std::find_if(apps.begin(), apps.end(), [&](const AppRecord &a) { return a.id == id; });
  return it == apps.end() ? nullptr : &*it;
}

UserRecord *World::find_user(std::string_view id) {
  const auto it = users.find(id);
  return it == users.end() ? nullptr : &it->second;
}

const UserRecord *World::find_user(std::string_view id) const {
  const auto it = users.find(id);
  return it == users.end() ? nullptr : &it->second;
}

UserRecord *World::find_user_by_name(std::string_view username) {
  for (auto &[id, user] : users) {
    if (user.username == username) {
      return &user;
    }
  }
  return nullptr;
}

ContainerRecord *World::find_container(std::string_view id) {
  const auto it = containers.find(id);
  return it == containers.end() ? nullptr : &it->second;
}

PostRecord *World::find_post(std::string_view id) {
  const auto it = posts.find(id);
  return it == posts.end() ? nullptr : &it->second;
}

const PostRecord *World::find_post(std::string_view id) const {
  const auto it = posts.find(id);
  return it == posts.end() ? nullptr : &it->second;
}

std::string World::new_id(std::string_view prefix) {
  for (;;) {
    std::string id = random_numeric_id(prefix);
    if (used_ids.insert(id).second) {
      return id;
    }
  }
}

UserRecord &World::add_user(const std::string &id, const std::string &username) {
  used_ids.insert(id);
  UserRecord user;
  user.id = id;
  user.username = username;
  user.name = username;
  user.profile_picture_url = "https://sandbox.threads.invalid/profile/" + username + ".jpg";
  return users[id] = std::move(user);
}

TokenRecord &World::issue_user_token(std::string_view app_id, std::string_view user_id,
                                     TokenKind kind,
                                     std::shared_ptr<const std::set<std::string>> scopes,
                                     TimePoint issued_at) {
  TokenRecord token;
  token.value = random_user_token();
  token.kind = kind;
  token.app_id = app_id;
  token.user_id = user_id;
  token.scopes = std::move(scopes);
  token.issued_at = issued_at;
  token.expires_at =
      issued_at + (kind == TokenKind::long_lived ? long_token_life : short_token_life);
  token.data_access_expires_at = issued_at + permission_grant_life;
  const std::string key = token.value;
  return tokens[key] = std::move(token);
}

PostRecord &World::add_post(PostRecord post) {
  post.seq = next_post_seq++;
  used_ids.insert(post.id);
  const std::string key = post.id;
  return posts[key] = std::move(post);
}

ContainerStatus World::container_status(const ContainerRecord &c, TimePoint now) const {
  const Millis container_life = config.container_life;
  if (!c.published_media_id.empty()) {
    return config.no_server_dedup && now >= c.created_at + container_life
               ? ContainerStatus::expired
               : ContainerStatus::published;
  }
  TimePoint ready = c.ready_at;
  bool failed = !c.injected_error.empty();
  // A carousel is ready when its children are, and fails when one of them does.
  for (const auto &child_id : c.children) {
    const auto it = containers.find(child_id);
    if (it == containers.end()) {
      continue;
    }
    ready = std::max(ready, it->second.ready_at);
    failed = failed || !it->second.injected_error.empty();
  }
  if (now < ready) {
    return now >= c.created_at + container_life ? ContainerStatus::expired
                                                : ContainerStatus::in_progress;
  }
  if (failed) {
    return ContainerStatus::error;
  }
  if (now >= c.created_at + container_life) {
    return ContainerStatus::expired;
  }
  return ContainerStatus::finished;
}

std::string World::container_error_message(const ContainerRecord &c) const {
  if (!c.injected_error.empty()) {
    return c.injected_error;
  }
  for (const auto &child_id : c.children) {
    const auto it = containers.find(child_id);
    if (it != containers.end() && !it->second.injected_error.empty()) {
      return it->second.injected_error;
    }
  }
  return {};
}

} // namespace sandbox
