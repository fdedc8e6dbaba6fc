// The Graph parameters of the containers a post needs.
#include "actions/container_params.hpp"

#include <boost/json.hpp>

namespace threads::actions {
namespace json = boost::json;

namespace {

std::string join(const std::vector<std::string> &items) {
  std::string out;
  for (const auto &i : items)
    out += (out.empty() ? "" : ",") + i;
  return out;
}

void add_if(graph::Params &p, const char *name, const std::string &value) {
  if (!value.empty())
    p.emplace_back(name, value);
}

void add_media(graph::Params &p, const MediaItem &item) {
  p.emplace_back("media_type", item.kind == MediaKind::image ? "IMAGE" : "VIDEO");
  p.emplace_back(item.kind == MediaKind::image ? "image_url" : "video_url", item.url);
  add_if(p, "alt_text", item.alt_text);
}

} // namespace

graph::Params carousel_item_params(const MediaItem &item) {
  graph::Params p;
  add_media(p, item);
  p.emplace_back("is_carousel_item", "true");
  return p;
}

graph::Params post_container_params(const PostInput &in, const std::vector<std::string> &children) {
  graph::Params p;
  if (!children.empty()) {
    p.emplace_back("media_type", "CAROUSEL");
    p.emplace_back("children", join(children));
  } else if (in.media.size() == 1) {
    add_media(p, in.media.front());
  } else {
    p.emplace_back("media_type", "TEXT");
  }
  add_if(p, "text", in.text);
  add_if(p, "reply_to_id", in.reply_to_id);
  add_if(p, "quote_post_id", in.quote_post_id);
  add_if(p, "link_attachment", in.link_attachment);
  add_if(p, "topic_tag", in.topic_tag);
  add_if(p, "reply_control", in.reply_control);
  add_if(p, "allowlisted_country_codes", join(in.allowlisted_country_codes));
  add_if(p, "location_id", in.location_id);
  if (!in.poll_options.empty()) {
    static const char *names[] = {"option_a", "option_b", "option_c", "option_d"};
    json::object poll;
    for (std::size_t i = 0; i < in.poll_options.size(); ++i)
      poll[names[i]] = in.poll_options[i];
    p.emplace_back("poll_attachment", json::serialize(poll));
  }
  if (!in.spoilers.empty()) {
    json::array entities;
    for (const auto &s : in.spoilers) {
      entities.push_back(
          json::object{{"entity_type", "SPOILER"}, {"offset", s.offset}, {"length", s.length}});
    }
    p.emplace_back("text_entities", json::serialize(entities));
  }
  if (in.spoiler_media)
    p.emplace_back("is_spoiler_media", "true");
  if (in.text_attachment) {
    json::object att{{"plaintext", in.text_attachment->text}};
    if (!in.text_attachment->link_url.empty()) {
      att["link_attachment_url"] = in.text_attachment->link_url;
    }
    p.emplace_back("text_attachment", json::serialize(att));
  }
  if (in.auto_publish_text)
    p.emplace_back("auto_publish_text", "true");
  return p;
}

} // namespace threads::actions
