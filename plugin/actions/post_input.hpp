// The `post` action's input: parsed, normalised and validated locally before any request,
// with errors that name the field at fault.
#pragma once

#include <autohost/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace threads::actions {

enum class MediaKind { image, video };

struct MediaItem {
  MediaKind kind = MediaKind::image;
  std::string url;
  std::string alt_text;
};

struct Spoiler {
  long long offset = 0;
  long long length = 0;
};

struct TextAttachment {
  std::string text;
  std::string link_url;
};

// What kind of container(s) a post needs.
enum class PostShape { text, image, video, carousel };

struct PostInput {
  std::string text;
  std::vector<MediaItem> media; // 0: text post, 1: image/video post, 2-20: carousel
  std::string reply_to_id;
  std::string quote_post_id;
  std::string link_attachment;
  std::vector<std::string> poll_options; // 2-4
  std::string topic_tag;
  std::string reply_control;
  std::vector<std::string> allowlisted_country_codes;
  std::string location_id;
  std::vector<Spoiler> spoilers;
  bool spoiler_media = false;
  std::optional<TextAttachment> text_attachment;
  bool auto_publish_text = false;
  // Check everything a post needs and publish nothing (README "post: dry run").
  bool dry_run = false;

  PostShape shape() const;
  bool has_video() const;
};

// "text", "image", "video" or "carousel", as the post action's output names the shape.
std::string_view shape_name(PostShape shape);

// The rules (README "post"): text at most 500 characters counted as Threads counts them,
// at most 5 distinct links, carousels of 2-20 items, polls of 2-4 options of 1-25
// characters, alt text at most 1000 characters, and only the documented combinations.
autohost::Result<PostInput> parse_post_input(std::string_view json);

// Threads' 500-character rule as we apply it: one per Unicode code point, except that
// emoji code points (pictographs, dingbats, regional indicators, skin tones, ZWJ and
// variation selectors) count as many as their UTF-8 bytes, as the docs say. nullopt when
// the text is not valid UTF-8.
std::optional<std::size_t> threads_length(std::string_view utf8);

// Spoiler offsets count UTF-16 code units: the indices at which a code point of `utf8`
// starts, plus its length in code units at the end ({0} when it is not UTF-8).
std::vector<std::size_t> utf16_boundaries(std::string_view utf8);

// The distinct http(s) URLs in a text, in order of appearance.
std::vector<std::string> links_in(std::string_view text);

} // namespace threads::actions
