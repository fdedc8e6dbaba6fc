// Renders users, containers and posts with every field the Threads API documents.
#include "json_views.hpp"

#include "text_rules.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace sandbox {
namespace json = boost::json;

namespace {

json::object poll_json(const PollSpec &poll, TimePoint expires) {
  static constexpr std::array<std::string_view, 4> keys{"option_a", "option_b", "option_c",
                                                        "option_d"};
  json::object out;
  for (std::size_t i = 0; i < poll.options.size() && i < 4; ++i) {
    out[keys[i]] = poll.options[i];
    // No votes are ever cast in the sandbox.
    out[std::string(keys[i]) + "_votes_percentage"] = 0.0;
  }
  out["total_votes"] = 0;
  out["expiration_timestamp"] = graph_timestamp(expires);
  return out;
}

} // namespace

const std::vector<std::string_view> &user_fields() {
  static const std::vector<std::string_view> fields{"id",
                                                    "username",
                                                    "name",
                                                    "threads_profile_picture_url",
                                                    "threads_biography",
                                                    "is_verified",
                                                    "recently_searched_keywords",
                                                    "is_eligible_for_geo_gating"};
  return fields;
}

const std::vector<std::string_view> &container_fields() {
  static const std::vector<std::string_view> fields{"id", "status", "error_message"};
  return fields;
}

const std::vector<std::string_view> &post_fields() {
  static const std::vector<std::string_view> fields{
      "id",
      "media_product_type",
      "media_type",
      "media_url",
      "permalink",
      "owner",
      "username",
      "text",
      "timestamp",
      "shortcode",
      "thumbnail_url",
      "children",
      "is_quote_post",
      "quoted_post",
      "reposted_post",
      "alt_text",
      "link_attachment_url",
      "has_replies",
      "reply_audience",
      "gif_url",
      "poll_attachment",
      "topic_tag",
      "location_id",
      "location",
      "allowlisted_country_codes",
      "is_verified",
      "profile_picture_url",
      "is_spoiler_media",
      "text_entities",
      "text_attachment",
      "ghost_post_status",
      "ghost_post_expiration_timestamp",
      "is_reply",
      "is_reply_owned_by_me",
      "root_post",
      "replied_to",
      "hide_status",
      "reply_approval_status",
  };
  return fields;
}

json::object user_json(const UserRecord &user) {
  json::array searched;
  for (const auto &k : user.recently_searched) {
    searched.push_back(json::object{
        {"query", k.query}, {"timestamp", k.at.time_since_epoch().count()}}); // milliseconds
  }
  return json::object{{"id", user.id},
                      {"username", user.username},
                      {"name", user.name},
                      {"threads_profile_picture_url", user.profile_picture_url},
                      {"threads_biography", user.biography},
                      {"is_verified", user.is_verified},
                      {"recently_searched_keywords", std::move(searched)},
                      {"is_eligible_for_geo_gating", user.is_eligible_for_geo_gating}};
}

json::object container_json(const World &world, const ContainerRecord &container, TimePoint now) {
  const ContainerStatus status = world.container_status(container, now);
  json::object out{{"id", container.id}, {"status", container_status_name(status)}};
  if (status == ContainerStatus::error) {
    out["error_message"] = world.container_error_message(container);
  }
  return out;
}

std::string permalink(const World &world, const PostRecord &post) {
  const UserRecord *owner = world.find_user(post.owner_id);
  return "https://www.threads.net/@" + (owner != nullptr ? owner->username : std::string("user")) +
         "/post/" + post.shortcode;
}

namespace {

// Who posted it, where it lives and when.
void add_identity(json::object &out, const World &world, const PostRecord &post,
                  std::string_view viewer_id) {
  const UserRecord *owner = world.find_user(post.owner_id);
  out["id"] = post.id;
  out["media_product_type"] = "THREADS";
  out["media_type"] = read_media_type_name(post.media_type);
  if (post.album_id.empty()) {
    out["permalink"] = permalink(world, post);
    out["shortcode"] = post.shortcode;
  }
  if (owner != nullptr) {
    out["username"] = owner->username;
    out["is_verified"] = owner->is_verified;
    out["profile_picture_url"] = owner->profile_picture_url;
  }
  // Graph shows the owner only on one's own top-level posts.
  if (post.owner_id == viewer_id && !post.is_reply() && post.album_id.empty()) {
    out["owner"] = json::object{{"id", post.owner_id}};
  }
  out["timestamp"] = graph_timestamp(post.timestamp);
}

// The media of each type: URLs, a carousel's children in full, a repost's original.
void add_media(json::object &out, const World &world, const PostRecord &post,
               std::string_view viewer_id, TimePoint now) {
  const PostContent &c = post.content;
  switch (post.media_type) {
  case ReadMediaType::image:
    out["media_url"] = c.image_url;
    break;
  case ReadMediaType::video:
    out["media_url"] = c.video_url;
    out["thumbnail_url"] = "https://sandbox.threads.invalid/thumbnails/" + post.id + ".jpg";
    break;
  case ReadMediaType::carousel_album: {
    json::array children;
    for (const auto &child_id : post.children) {
      if (const PostRecord *child = world.find_post(child_id)) {
        children.push_back(post_json(world, *child, viewer_id, now));
      }
    }
    out["children"] = json::object{{"data", std::move(children)}};
    break;
  }
  case ReadMediaType::repost_facade:
    out["reposted_post"] = json::object{{"id", post.reposted_post_id}};
    break;
  case ReadMediaType::text_post:
    break;
  }
}

// The text, the quoted post, the alt text, the link preview and the reply audience.
void add_text(json::object &out, const PostRecord &post) {
  const PostContent &c = post.content;
  if (!c.text.empty()) {
    out["text"] = c.text;
  }
  if (post.media_type != ReadMediaType::repost_facade) {
    out["is_quote_post"] = !c.quote_post_id.empty();
  }
  if (!c.quote_post_id.empty()) {
    out["quoted_post"] = json::object{{"id", c.quote_post_id}};
  }
  if (!c.alt_text.empty()) {
    out["alt_text"] = c.alt_text;
  }
  if (post.media_type == ReadMediaType::text_post) {
    // The first link of a text post becomes its preview when no link_attachment was given.
    std::string link = c.link_attachment;
    if (link.empty()) {
      const auto links = find_links(c.text);
      link = links.empty() ? std::string() : links.front();
    }
    if (!link.empty()) {
      out["link_attachment_url"] = link;
    }
  }
  if (post.album_id.empty() && post.media_type != ReadMediaType::repost_facade) {
    out["has_replies"] = post.visible_direct_replies > 0;
    out["reply_audience"] =
        c.reply_control.empty() ? std::string("EVERYONE") : ascii_upper(c.reply_control);
  }
}

// GIF, poll, topic, location, countries, spoilers and the text attachment.
void add_attachments(json::object &out, const PostRecord &post) {
  const PostContent &c = post.content;
  if (c.gif) {
    out["gif_url"] = "https://media.giphy.invalid/media/" + c.gif->gif_id + "/giphy.gif";
  }
  if (c.poll) {
    out["poll_attachment"] = poll_json(*c.poll, post.timestamp + days(1));
  }
  std::string topic = c.topic_tag.empty() ? first_hashtag(c.text) : c.topic_tag;
  if (!topic.empty()) {
    out["topic_tag"] = topic;
  }
  if (!c.location_id.empty()) {
    out["location_id"] = c.location_id;
    out["location"] = json::object{{"id", c.location_id}};
  }
  if (!c.allowlisted_country_codes.empty()) {
    json::array codes;
    for (const auto &code : c.allowlisted_country_codes) {
      codes.push_back(json::string(code));
    }
    out["allowlisted_country_codes"] = std::move(codes);
  }
  if (c.kind != MediaKind::text) {
    out["is_spoiler_media"] = c.is_spoiler_media;
  }
  if (!c.spoilers.empty()) {
    json::array entities;
    for (const auto &s : c.spoilers) {
      entities.push_back(
          json::object{{"entity_type", "SPOILER"}, {"offset", s.offset}, {"length", s.length}});
    }
    out["text_entities"] = std::move(entities);
  }
  if (c.text_attachment) {
    json::object attachment{{"plaintext", c.text_attachment->plaintext}};
    if (!c.text_attachment->link_url.empty()) {
      attachment["link_attachment_url"] = c.text_attachment->link_url;
    }
    out["text_attachment"] = std::move(attachment);
  }
}

// Ghost-post expiry, reply state and place in a conversation.
void add_state(json::object &out, const PostRecord &post, std::string_view viewer_id,
               TimePoint now) {
  if (post.content.is_ghost_post) {
    const TimePoint expires = post.timestamp + days(1);
    out["ghost_post_status"] = now < expires ? "ACTIVE" : "ARCHIVED";
    out["ghost_post_expiration_timestamp"] = graph_timestamp(expires);
  }
  if (post.album_id.empty() && post.media_type != ReadMediaType::repost_facade) {
    out["is_reply"] = post.is_reply();
    out["hide_status"] = hide_status_name(post.hide_status);
  }
  if (post.is_reply()) {
    out["is_reply_owned_by_me"] = post.owner_id == viewer_id;
    out["root_post"] = json::object{{"id", post.root_post_id}};
    out["replied_to"] = json::object{{"id", post.replied_to_id}};
  }
}

} // namespace

json::object post_json(const World &world, const PostRecord &post, std::string_view viewer_id,
                       TimePoint now) {
  json::object out;
  add_identity(out, world, post, viewer_id);
  add_media(out, world, post, viewer_id, now);
  add_text(out, post);
  add_attachments(out, post);
  add_state(out, post, viewer_id, now);
  return out;
}

} // namespace sandbox
