// Parses and validates the `post` action's input.
#include "actions/post_input.hpp"

#include "actions/input_reader.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <regex>
#include <set>

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

constexpr std::size_t max_text = 500;
constexpr std::size_t max_links = 5;
constexpr std::size_t max_alt_text = 1000;
constexpr std::size_t max_attachment_text = 10000;
constexpr std::size_t max_spoilers = 10;

bool is_emoji(char32_t c) {
  return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
         (c >= 0xFE00 && c <= 0xFE0F) || c == 0x200D || (c >= 0x1F1E6 && c <= 0x1F1FF) ||
         (c >= 0x2B00 && c <= 0x2BFF) || c == 0x20E3;
}

// Decodes one code point; returns its byte length, 0 on invalid UTF-8.
std::size_t decode(std::string_view s, std::size_t i, char32_t &out) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n = c < 0x80           ? 1
                  : (c >> 5) == 0x6  ? 2
                  : (c >> 4) == 0xE  ? 3
                  : (c >> 3) == 0x1E ? 4
                                     : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  static constexpr char32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_length[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
    return 0;
  out = cp;
  return n;
}

std::optional<std::size_t> code_points(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = 0;
    const std::size_t n = decode(s, i, c);
    if (n == 0)
      return std::nullopt;
    i += n;
    ++count;
  }
  return count;
}

Result<autohost::Done> check_length(std::string_view field, std::string_view text, std::size_t max,
                                    bool threads_rule) {
  const auto n = threads_rule ? threads_length(text) : code_points(text);
  if (!n)
    return field_error("post", field, "is not valid UTF-8");
  if (*n > max) {
    return field_error("post", field,
                       "is " + std::to_string(*n) + " characters long; the limit is " +
                           std::to_string(max) +
                           (threads_rule ? " (emoji count as their UTF-8 bytes)" : ""));
  }
  return autohost::Done{};
}

bool is_https_url(std::string_view url) {
  static const std::regex pattern(R"(^https://[^\s/?#]+[^\s]*$)");
  return std::regex_match(url.begin(), url.end(), pattern);
}

Result<MediaItem> parse_media(const json::value &v, const std::string &field) {
  if (!v.is_object())
    return field_error("post", field, "must be an object with type and url");
  Reader r("post", v.as_object(), field + ".");
  MediaItem item;
  std::string type;
  AH_TRY_ASSIGN(type, r.string("type"));
  if (type == "image") {
    item.kind = MediaKind::image;
  } else if (type == "video") {
    item.kind = MediaKind::video;
  } else {
    return field_error("post", r.name("type"), "must be \"image\" or \"video\"");
  }
  AH_TRY_ASSIGN(item.url, r.string("url"));
  if (!is_https_url(item.url)) {
    return field_error("post", r.name("url"),
                       "must be a public https:// URL that Meta can download");
  }
  AH_TRY_ASSIGN(item.alt_text, r.string("alt_text"));
  AH_TRY(check_length(r.name("alt_text"), item.alt_text, max_alt_text, false));
  AH_TRY(r.no_unknown_fields());
  return item;
}

Result<autohost::Done> read_media(Reader &r, PostInput &in) {
  const json::value *media = r.raw("media");
  if (media == nullptr)
    return autohost::Done{};
  if (!media->is_array())
    return field_error("post", "media", "must be a list of {type, url}");
  const auto &items = media->as_array();
  if (items.size() > 20) {
    return field_error("post", "media",
                       "has " + std::to_string(items.size()) +
                           " items; a carousel holds at most 20");
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    MediaItem item;
    AH_TRY_ASSIGN(item, parse_media(items[i], "media[" + std::to_string(i) + "]"));
    in.media.push_back(std::move(item));
  }
  return autohost::Done{};
}

// What the post points at: the post it answers or quotes, a place, a link card, a topic.
Result<autohost::Done> read_targets(Reader &r, PostInput &in) {
  AH_TRY_ASSIGN(in.reply_to_id, r.id("reply_to_id"));
  AH_TRY_ASSIGN(in.quote_post_id, r.id("quote_post_id"));
  AH_TRY_ASSIGN(in.location_id, r.id("location_id"));
  AH_TRY_ASSIGN(in.link_attachment, r.string("link_attachment"));
  if (!in.link_attachment.empty() && !is_https_url(in.link_attachment) &&
      in.link_attachment.rfind("http://", 0) != 0) {
    return field_error("post", "link_attachment", "must be an http(s) URL");
  }
  AH_TRY_ASSIGN(in.topic_tag, r.string("topic_tag"));
  if (!in.topic_tag.empty()) {
    AH_TRY(check_length("topic_tag", in.topic_tag, 50, false));
    if (in.topic_tag.find_first_of(".&") != std::string::npos)
      return field_error("post", "topic_tag", "must not contain '.' or '&'");
  }
  return autohost::Done{};
}

// Who may reply, and where the post may be seen.
Result<autohost::Done> read_audience(Reader &r, PostInput &in) {
  AH_TRY_ASSIGN(in.reply_control, r.string("reply_control"));
  if (!in.reply_control.empty()) {
    static const std::set<std::string> allowed = {"everyone", "accounts_you_follow",
                                                  "mentioned_only", "parent_post_author_only",
                                                  "followers_only"};
    if (allowed.count(in.reply_control) == 0) {
      return field_error("post", "reply_control",
                         "must be one of everyone, accounts_you_follow, "
                         "mentioned_only, parent_post_author_only, "
                         "followers_only");
    }
  }
  const json::value *codes = r.raw("allowlisted_country_codes");
  if (codes == nullptr)
    return autohost::Done{};
  if (!codes->is_array() || codes->as_array().empty()) {
    return field_error("post", "allowlisted_country_codes",
                       "must be a non-empty list like [\"US\"]");
  }
  static const std::regex iso(R"(^[A-Z]{2}$)");
  for (const auto &c : codes->as_array()) {
    if (!c.is_string() || !std::regex_match(std::string(c.as_string()), iso)) {
      return field_error("post", "allowlisted_country_codes",
                         "must hold ISO 3166-1 alpha-2 codes in capitals, like \"US\"");
    }
    in.allowlisted_country_codes.emplace_back(c.as_string());
  }
  return autohost::Done{};
}

Result<autohost::Done> read_poll(Reader &r, PostInput &in) {
  const json::value *poll = r.raw("poll");
  if (poll == nullptr)
    return autohost::Done{};
  const json::value *options =
      poll->is_object() ? poll->as_object().if_contains("options") : nullptr;
  if (options == nullptr || !options->is_array() || poll->as_object().size() != 1)
    return field_error("post", "poll", "must be {\"options\": [\"A\", \"B\", ...]}");
  const auto &list = options->as_array();
  if (list.size() < 2 || list.size() > 4) {
    return field_error("post", "poll.options",
                       "must have 2 to 4 options, not " + std::to_string(list.size()));
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string field = "poll.options[" + std::to_string(i) + "]";
    if (!list[i].is_string())
      return field_error("post", field, "must be a string");
    const std::string option(list[i].as_string());
    const auto n = code_points(option);
    if (!n || *n < 1 || *n > 25)
      return field_error("post", field, "must be 1 to 25 characters");
    in.poll_options.push_back(option);
  }
  return autohost::Done{};
}

// Spoiler ranges count UTF-16 code units, the unit of Meta's text offsets (README "post:
// spoilers"); a range may not split a character's surrogate pair.
Result<autohost::Done> read_spoilers(Reader &r, PostInput &in) {
  const json::value *spoilers = r.raw("spoilers");
  if (spoilers == nullptr)
    return autohost::Done{};
  if (!spoilers->is_array())
    return field_error("post", "spoilers", "must be a list of {offset, length}");
  if (spoilers->as_array().size() > max_spoilers)
    return field_error("post", "spoilers", "may mark at most 10 ranges");
  const std::vector<std::size_t> boundaries = utf16_boundaries(in.text);
  const auto on_boundary = [&](long long index) {
    return index >= 0 && std::binary_search(boundaries.begin(), boundaries.end(),
                                            static_cast<std::size_t>(index));
  };
  for (std::size_t i = 0; i < spoilers->as_array().size(); ++i) {
    const std::string field = "spoilers[" + std::to_string(i) + "]";
    const json::value &s = spoilers->as_array()[i];
    const json::object *o = s.is_object() ? &s.as_object() : nullptr;
    const json::value *off = o ? o->if_contains("offset") : nullptr;
    const json::value *len = o ? o->if_contains("length") : nullptr;
    if (off == nullptr || len == nullptr || !off->is_int64() || !len->is_int64() ||
        o->size() != 2) {
      return field_error("post", field, "must be {\"offset\": N, \"length\": N}");
    }
    Spoiler sp{off->as_int64(), len->as_int64()};
    if (sp.offset < 0 || sp.length < 1 ||
        static_cast<std::size_t>(sp.offset + sp.length) > boundaries.back()) {
      return field_error("post", field,
                         "must lie inside the text (" + std::to_string(boundaries.back()) +
                             " UTF-16 code units long)");
    }
    if (!on_boundary(sp.offset) || !on_boundary(sp.offset + sp.length)) {
      return field_error("post", field,
                         "splits a character: offsets count UTF-16 code units, and an emoji "
                         "outside the BMP takes two");
    }
    in.spoilers.push_back(sp);
  }
  return autohost::Done{};
}

Result<autohost::Done> read_text_attachment(Reader &r, PostInput &in) {
  const json::value *att = r.raw("text_attachment");
  if (att == nullptr)
    return autohost::Done{};
  if (!att->is_object())
    return field_error("post", "text_attachment", "must be {text, link_url?}");
  Reader ar("post", att->as_object(), "text_attachment.");
  TextAttachment t;
  AH_TRY_ASSIGN(t.text, ar.string("text"));
  AH_TRY_ASSIGN(t.link_url, ar.string("link_url"));
  AH_TRY(ar.no_unknown_fields());
  if (t.text.empty())
    return field_error("post", "text_attachment.text", "must not be empty");
  AH_TRY(check_length("text_attachment.text", t.text, max_attachment_text, false));
  if (!t.link_url.empty() && !is_https_url(t.link_url))
    return field_error("post", "text_attachment.link_url", "must be an https:// URL");
  in.text_attachment = std::move(t);
  return autohost::Done{};
}

// Combinations the API refuses, caught before any request.
Result<autohost::Done> check_combinations(const PostInput &in) {
  const bool text_only = in.media.empty();
  if (text_only && in.text.empty() && !in.text_attachment)
    return field_error("post", "text", "is required for a post without media");
  if (!text_only) {
    if (!in.link_attachment.empty())
      return field_error("post", "link_attachment", "is only allowed on text posts");
    if (!in.poll_options.empty())
      return field_error("post", "poll", "is only allowed on text posts");
    if (in.text_attachment)
      return field_error("post", "text_attachment", "is only allowed on text posts");
    if (in.auto_publish_text)
      return field_error("post", "auto_publish_text", "is only allowed on text posts");
  } else if (in.spoiler_media) {
    return field_error("post", "spoiler_media", "needs media");
  }
  if (in.text_attachment && !in.poll_options.empty())
    return field_error("post", "text_attachment", "cannot be combined with a poll");
  if (!in.reply_to_id.empty() && !in.quote_post_id.empty())
    return field_error("post", "quote_post_id", "cannot be combined with reply_to_id");
  return autohost::Done{};
}

Result<autohost::Done> check_link_count(const PostInput &in) {
  std::vector<std::string> links = links_in(in.text);
  for (const std::string *extra :
       {&in.link_attachment, in.text_attachment ? &in.text_attachment->link_url : nullptr}) {
    if (extra != nullptr && !extra->empty() &&
        std::find(links.begin(), links.end(), *extra) == links.end()) {
      links.push_back(*extra);
    }
  }
  if (links.size() > max_links) {
    return field_error("post", "text",
                       "contains " + std::to_string(links.size()) +
                           " distinct links; a post may have at most 5");
  }
  return autohost::Done{};
}

} // namespace

PostShape PostInput::shape() const {
  if (media.empty())
    return PostShape::text;
  if (media.size() > 1)
    return PostShape::carousel;
  return media.front().kind == MediaKind::image ? PostShape::image : PostShape::video;
}

std::string_view shape_name(PostShape shape) {
  switch (shape) {
  case PostShape::text:
    return "text";
  case PostShape::image:
    return "image";
  case PostShape::video:
    return "video";
  case PostShape::carousel:
    return "carousel";
  }
  return "text";
}

bool PostInput::has_video() const {
  return std::any_of(media.begin(), media.end(),
                     [](const MediaItem &m) { return m.kind == MediaKind::video; });
}

std::optional<std::size_t> threads_length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = 0;
    const std::size_t n = decode(s, i, c);
    if (n == 0)
      return std::nullopt;
    count += is_emoji(c) ? n : 1;
    i += n;
  }
  return count;
}

std::vector<std::size_t> utf16_boundaries(std::string_view s) {
  std::vector<std::size_t> out{0};
  std::size_t units = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = 0;
    const std::size_t n = decode(s, i, c);
    if (n == 0)
      return {0}; // not UTF-8: the text check reports it
    units += c > 0xFFFF ? 2 : 1;
    out.push_back(units);
    i += n;
  }
  return out;
}

std::vector<std::string> links_in(std::string_view text) {
  static const std::regex url(R"(https?://[^\s<>"']+)", std::regex::icase);
  std::vector<std::string> out;
  using Iterator = std::regex_iterator<std::string_view::const_iterator>;
  for (Iterator it(text.begin(), text.end(), url), end; it != end; ++it) {
    std::string link = it->str();
    while (!link.empty() && std::string_view(".,;:!?)]}").find(link.back()) != std::string::npos) {
      link.pop_back();
    }
    if (std::find(out.begin(), out.end(), link) == out.end())
      out.push_back(link);
  }
  return out;
}

Result<PostInput> parse_post_input(std::string_view text) {
  AH_TRY_DECLARE(doc, parse_input("post", text));
  Reader r("post", doc.as_object());
  PostInput in;
  AH_TRY_ASSIGN(in.text, r.string("text"));
  AH_TRY(check_length("text", in.text, max_text, true));
  AH_TRY(read_media(r, in));
  AH_TRY(read_targets(r, in));
  AH_TRY(read_audience(r, in));
  AH_TRY(read_poll(r, in));
  AH_TRY(read_spoilers(r, in));
  AH_TRY_ASSIGN(in.spoiler_media, r.boolean("spoiler_media"));
  AH_TRY(read_text_attachment(r, in));
  AH_TRY_ASSIGN(in.auto_publish_text, r.boolean("auto_publish_text"));
  AH_TRY_ASSIGN(in.dry_run, r.boolean("dry_run"));
  AH_TRY(r.no_unknown_fields());
  AH_TRY(check_combinations(in));
  AH_TRY(check_link_count(in));
  return in;
}

} // namespace threads::actions
