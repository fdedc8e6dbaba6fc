// Container parameter validation: media types, text limits, links, carousels, attachments.
#include "container_validation.hpp"

#include "attachment_validation.hpp"
#include "text_rules.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>

namespace sandbox {

namespace {

constexpr std::size_t max_text = 500;
constexpr std::size_t max_links = 5;
constexpr std::size_t max_alt_text = 1000;

using Check = Expected<bool, GraphError>; // the value is unused; errors carry the failure

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string item = trim(text.substr(start, end - start));
    if (!item.empty()) {
      items.push_back(std::move(item));
    }
    start = end + 1;
  }
  return items;
}

// The documented error names (threads-api.md 2.1, 4.1) have no known numeric form; the
// sandbox sends code 100 with the name leading the message and as error_user_title.
GraphError threads_error(std::string_view name, std::string_view message) {
  GraphError e;
  e.code = 100;
  e.type = "THApiException";
  e.message = std::string(name) + ": " + std::string(message);
  e.user_title = std::string(name);
  e.user_msg = std::string(message);
  return e;
}

Expected<bool, GraphError> read_bool(const Context &ctx, std::string_view name) {
  if (!ctx.has_param(name)) {
    return false;
  }
  const std::string value = ascii_lower(ctx.param(name));
  if (value == "true" || value == "1") {
    return true;
  }
  if (value == "false" || value == "0" || value.empty()) {
    return false;
  }
  return unexpected(errors::invalid_parameter(name, "must be true or false"));
}

Check check_text(const PostContent &c) {
  if (!is_valid_utf8(c.text)) {
    return unexpected(errors::invalid_parameter("text", "must be UTF-8"));
  }
  if (count_characters(c.text) > max_text) {
    return unexpected(
        errors::invalid_parameter("text", "must be at most 500 characters long (got " +
                                              std::to_string(count_characters(c.text)) + ")"));
  }
  std::vector<std::string> links = find_links(c.text);
  if (c.text_attachment && !c.text_attachment->link_url.empty() &&
      std::find(links.begin(), links.end(), c.text_attachment->link_url) == links.end()) {
    links.push_back(c.text_attachment->link_url);
  }
  if (links.size() > max_links) {
    return unexpected(threads_error("THREADS_API__LINK_LIMIT_EXCEEDED",
                                    "A post can contain at most 5 unique links (found " +
                                        std::to_string(links.size()) + ")"));
  }
  return true;
}

Check read_children(ContainerDraft &draft, const Context &ctx, const UserRecord &owner) {
  if (!ctx.has_param("children")) {
    return unexpected(errors::missing_parameter("children"));
  }
  draft.children = split_list(ctx.param("children"));
  if (draft.children.size() < 2 || draft.children.size() > 20) {
    return unexpected(
        errors::invalid_parameter("children", "a carousel needs 2 to 20 items (got " +
                                                  std::to_string(draft.children.size()) + ")"));
  }
  for (std::size_t i = 0; i < draft.children.size(); ++i) {
    const std::string &id = draft.children[i];
    if (std::find(draft.children.begin(), draft.children.begin() + static_cast<long>(i), id) !=
        draft.children.begin() + static_cast<long>(i)) {
      return unexpected(errors::invalid_parameter("children", "item " + id + " is listed twice"));
    }
    const ContainerRecord *child = ctx.world.find_container(id);
    if (child == nullptr || child->owner_id != owner.id) {
      return unexpected(
          errors::invalid_parameter("children", "item " + id + " is not a container of this user"));
    }
    if (!child->is_carousel_item) {
      return unexpected(errors::invalid_parameter(
          "children", "item " + id + " was not created with is_carousel_item=true"));
    }
    // Items are processed on their own; the carousel may only be made of FINISHED ones
    // (field report: an IN_PROGRESS item is refused with 4279004).
    const ContainerStatus status = ctx.world.container_status(*child, ctx.now);
    if (status != ContainerStatus::finished) {
      return unexpected(errors::carousel_items_invalid(id, container_status_name(status)));
    }
  }
  return true;
}

Check read_reply_target(PostContent &c, const Context &ctx, const Caller &caller) {
  const PostRecord *target = ctx.world.find_post(c.reply_to_id);
  if (target == nullptr || !target->visible() || !target->album_id.empty() ||
      target->media_type == ReadMediaType::repost_facade) {
    return unexpected(errors::invalid_parameter("reply_to_id", "no post with id " + c.reply_to_id +
                                                                   " can be replied to"));
  }
  if (!has_scope(*caller.token, "threads_manage_replies")) {
    return unexpected(errors::permission_denied("threads_manage_replies"));
  }
  // D-crep: one may reply in one's own conversations, or anywhere with either scope.
  const PostRecord *root =
      target->root_post_id.empty() ? target : ctx.world.find_post(target->root_post_id);
  const bool own_conversation = root != nullptr && root->owner_id == caller.user->id;
  if (!own_conversation && !has_scope(*caller.token, "threads_keyword_search") &&
      !has_scope(*caller.token, "threads_manage_mentions")) {
    return unexpected(errors::permission_denied("threads_keyword_search"));
  }
  return true;
}

Check read_geo_gating(PostContent &c, const Context &ctx, const UserRecord &owner) {
  if (!owner.is_eligible_for_geo_gating) {
    return unexpected(threads_error("THREADS_API__FEATURE_NOT_AVAILABLE",
                                    "This account is not eligible for geo-gating"));
  }
  for (const auto &code : split_list(ctx.param("allowlisted_country_codes"))) {
    if (code.size() != 2 || !std::isalpha(static_cast<unsigned char>(code[0])) ||
        !std::isalpha(static_cast<unsigned char>(code[1]))) {
      return unexpected(threads_error("THREADS_API__GEO_GATING_INVALID_COUNTRY_CODES",
                                      "'" + code + "' is not an ISO 3166-1 alpha-2 country code"));
    }
    c.allowlisted_country_codes.push_back(ascii_upper(code));
  }
  if (c.allowlisted_country_codes.empty()) {
    return unexpected(threads_error("THREADS_API__GEO_GATING_INVALID_COUNTRY_CODES",
                                    "allowlisted_country_codes is empty"));
  }
  return true;
}

Expected<MediaKind, GraphError> read_media_type(const Context &ctx) {
  if (!ctx.has_param("media_type")) {
    return unexpected(errors::missing_parameter("media_type"));
  }
  const std::string type = ascii_upper(ctx.param("media_type"));
  if (type == "TEXT") {
    return MediaKind::text;
  }
  if (type == "IMAGE") {
    return MediaKind::image;
  }
  if (type == "VIDEO") {
    return MediaKind::video;
  }
  if (type == "CAROUSEL") {
    return MediaKind::carousel;
  }
  return unexpected(
      errors::invalid_parameter("media_type", "must be TEXT, IMAGE, VIDEO or CAROUSEL"));
}

// The flags and the plain text parameters, as given.
Check read_params(ContainerDraft &draft, const Context &ctx) {
  PostContent &c = draft.content;
  for (const auto &[name, value] : std::initializer_list<std::pair<std::string_view, bool *>>{
           {"is_carousel_item", &draft.is_carousel_item},
           {"is_spoiler_media", &c.is_spoiler_media},
           {"is_ghost_post", &c.is_ghost_post},
           {"enable_reply_approvals", &c.enable_reply_approvals},
           {"auto_publish_text", &draft.auto_publish}}) {
    auto flag = read_bool(ctx, name);
    if (!flag) {
      return unexpected(flag.error());
    }
    *value = *flag;
  }
  c.text = ctx.param("text");
  c.image_url = ctx.param("image_url");
  c.video_url = ctx.param("video_url");
  c.alt_text = ctx.param("alt_text");
  c.link_attachment = ctx.param("link_attachment");
  c.reply_to_id = ctx.param("reply_to_id");
  c.quote_post_id = ctx.param("quote_post_id");
  c.topic_tag = ctx.param("topic_tag");
  c.reply_control = ascii_lower(ctx.param("reply_control"));
  c.location_id = ctx.param("location_id");
  return true;
}

// Parameters and flags that only some media types take.
Check check_allowed_for_kind(const ContainerDraft &draft, const Context &ctx) {
  const PostContent &c = draft.content;
  const bool text_only = c.kind == MediaKind::text;
  const bool single_media = c.kind == MediaKind::image || c.kind == MediaKind::video;
  const auto only_for = [&](std::string_view name, bool allowed, std::string_view which) -> Check {
    if (ctx.has_param(name) && !allowed) {
      return unexpected(
          errors::invalid_parameter(name, "is only allowed on " + std::string(which)));
    }
    return true;
  };
  for (const Check &check : {
           only_for("link_attachment", text_only, "TEXT posts"),
           only_for("poll_attachment", text_only, "TEXT posts"),
           only_for("text_attachment", text_only, "TEXT posts"),
           only_for("gif_attachment", text_only, "TEXT posts"),
           only_for("alt_text", single_media, "IMAGE and VIDEO containers"),
           only_for("is_spoiler_media", !text_only, "IMAGE, VIDEO and CAROUSEL containers"),
           only_for("children", c.kind == MediaKind::carousel, "CAROUSEL containers"),
       }) {
    if (!check) {
      return check;
    }
  }
  if (draft.is_carousel_item && !single_media) {
    return unexpected(errors::invalid_parameter(
        "is_carousel_item", "only IMAGE and VIDEO containers can be carousel items"));
  }
  if (draft.auto_publish && !text_only) {
    return unexpected(errors::invalid_parameter("auto_publish_text", "is only for TEXT posts"));
  }
  if (c.is_ghost_post && (!text_only || !c.reply_to_id.empty())) {
    return unexpected(
        errors::invalid_parameter("is_ghost_post", "only top-level TEXT posts can be ghost posts"));
  }
  if (c.is_ghost_post && c.enable_reply_approvals) {
    return unexpected(
        errors::invalid_parameter("enable_reply_approvals", "is not allowed on ghost posts"));
  }
  return true;
}

// What each media type needs: text, an image or video URL, or the carousel's items.
Check check_media_source(ContainerDraft &draft, const Context &ctx, const UserRecord &owner) {
  const PostContent &c = draft.content;
  switch (c.kind) {
  case MediaKind::text:
    if (c.text.empty()) {
      return unexpected(errors::missing_parameter("text"));
    }
    break;
  case MediaKind::image:
    if (!is_http_url(c.image_url)) {
      return unexpected(c.image_url.empty()
                            ? errors::missing_parameter("image_url")
                            : errors::invalid_parameter("image_url", "must be an http(s) URL"));
    }
    break;
  case MediaKind::video:
    if (!is_http_url(c.video_url)) {
      return unexpected(c.video_url.empty()
                            ? errors::missing_parameter("video_url")
                            : errors::invalid_parameter("video_url", "must be an http(s) URL"));
    }
    break;
  case MediaKind::carousel:
    return read_children(draft, ctx, owner);
  }
  return true;
}

// The text and what is attached to it: text attachment, links, alt text, poll, GIF, spoilers.
Check read_text_and_attachments(PostContent &c, const Context &ctx) {
  if (ctx.has_param("text_attachment")) {
    if (c.poll || ctx.has_param("poll_attachment")) {
      return unexpected(
          errors::invalid_parameter("text_attachment", "cannot be combined with a poll"));
    }
    if (auto r = read_text_attachment(c, ctx); !r) {
      return r;
    }
  }
  if (auto r = check_text(c); !r) {
    return r;
  }
  if (!c.alt_text.empty() && count_characters(c.alt_text) > max_alt_text) {
    return unexpected(errors::invalid_parameter("alt_text", "must be at most 1000 characters"));
  }
  if (!c.link_attachment.empty() && !is_http_url(c.link_attachment)) {
    return unexpected(errors::invalid_parameter("link_attachment", "must be an http(s) URL"));
  }
  if (ctx.has_param("poll_attachment")) {
    if (auto r = read_poll(c, ctx); !r) {
      return r;
    }
  }
  if (ctx.has_param("gif_attachment")) {
    if (auto r = read_gif(c, ctx); !r) {
      return r;
    }
  }
  if (ctx.has_param("text_entities")) {
    return read_spoilers(c, ctx);
  }
  return true;
}

// Topic tag and who may reply.
Check check_topic_and_reply_control(const PostContent &c, const Context &ctx) {
  if (ctx.has_param("topic_tag")) {
    const std::size_t n = count_characters(c.topic_tag);
    if (n < 1 || n > 50 || c.topic_tag.find_first_of(".&") != std::string::npos) {
      return unexpected(
          errors::invalid_parameter("topic_tag", "must be 1 to 50 characters without '.' or '&'"));
    }
  }
  if (ctx.has_param("reply_control")) {
    static constexpr std::array<std::string_view, 5> allowed{
        "everyone", "accounts_you_follow", "mentioned_only", "parent_post_author_only",
        "followers_only"};
    if (std::find(allowed.begin(), allowed.end(), c.reply_control) == allowed.end()) {
      return unexpected(errors::invalid_parameter(
          "reply_control", "must be everyone, accounts_you_follow, mentioned_only, "
                           "parent_post_author_only or followers_only"));
    }
  }
  return true;
}

// Where the post may be seen and what it points at: countries, location, reply, quote.
Check check_audience_and_targets(PostContent &c, const Context &ctx, const Caller &caller,
                                 const UserRecord &owner) {
  if (ctx.has_param("allowlisted_country_codes")) {
    if (auto r = read_geo_gating(c, ctx, owner); !r) {
      return r;
    }
  }
  if (ctx.has_param("location_id")) {
    if (!has_scope(*caller.token, "threads_location_tagging")) {
      return unexpected(errors::permission_denied("threads_location_tagging"));
    }
    if (c.location_id.empty()) {
      return unexpected(errors::invalid_parameter("location_id", "must not be empty"));
    }
  }
  if (!c.reply_to_id.empty()) {
    if (auto r = read_reply_target(c, ctx, caller); !r) {
      return r;
    }
  }
  if (!c.quote_post_id.empty()) {
    const PostRecord *quoted = ctx.world.find_post(c.quote_post_id);
    if (quoted == nullptr || !quoted->visible() || !quoted->album_id.empty()) {
      return unexpected(
          errors::invalid_parameter("quote_post_id", "no post with id " + c.quote_post_id));
    }
  }
  return true;
}

// Every check, in the order Graph reports the first failure.
Check read_everything(ContainerDraft &draft, const Context &ctx, const Caller &caller,
                      const UserRecord &owner) {
  auto kind = read_media_type(ctx);
  if (!kind) {
    return unexpected(kind.error());
  }
  draft.content.kind = *kind;
  for (const auto &step : std::initializer_list<std::function<Check()>>{
           [&] { return read_params(draft, ctx); },
           [&] { return check_allowed_for_kind(draft, ctx); },
           [&] { return check_media_source(draft, ctx, owner); },
           [&] { return read_text_and_attachments(draft.content, ctx); },
           [&] { return check_topic_and_reply_control(draft.content, ctx); },
           [&] { return check_audience_and_targets(draft.content, ctx, caller, owner); }}) {
    if (auto r = step(); !r) {
      return r;
    }
  }
  return true;
}

} // namespace

Expected<ContainerDraft, GraphError>
read_container_request(const Context &ctx, const Caller &caller, const UserRecord &owner) {
  ContainerDraft draft;
  if (auto r = read_everything(draft, ctx, caller, owner); !r) {
    return unexpected(r.error());
  }
  return draft;
}

} // namespace sandbox
