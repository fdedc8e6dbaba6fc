// Parsing and checking the JSON-valued container parameters (polls, long text, spoilers, GIFs).
#include "attachment_validation.hpp"

#include "text_rules.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace sandbox {
namespace json = boost::json;

namespace {

constexpr std::size_t max_text_attachment = 10000;
constexpr std::size_t max_spoilers = 10;

using Check = Expected<bool, GraphError>;

Expected<json::value, GraphError> read_json(const Context &ctx, std::string_view name) {
  boost::system::error_code ec;
  json::value v = json::parse(ctx.param(name), ec);
  if (ec) {
    return unexpected(errors::invalid_parameter(name, "must be JSON"));
  }
  return v;
}

} // namespace

Check read_poll(PostContent &c, const Context &ctx) {
  auto doc = read_json(ctx, "poll_attachment");
  if (!doc) {
    return unexpected(doc.error());
  }
  if (!doc->is_object()) {
    return unexpected(errors::invalid_parameter("poll_attachment", "must be a JSON object"));
  }
  const json::object &poll = doc->get_object();
  PollSpec spec;
  for (const std::string_view key : {"option_a", "option_b", "option_c", "option_d"}) {
    const json::value *v = poll.if_contains(key);
    if (v == nullptr) {
      if (key == "option_a" || key == "option_b") {
        return unexpected(
            errors::invalid_parameter("poll_attachment", std::string(key) + " is required"));
      }
      break; // option_d without option_c is caught below
    }
    if (!v->is_string()) {
      return unexpected(
          errors::invalid_parameter("poll_attachment", std::string(key) + " must be a string"));
    }
    const std::size_t n = count_characters(v->get_string());
    if (n < 1 || n > 25) {
      return unexpected(errors::invalid_parameter(
          "poll_attachment", std::string(key) + " must be 1 to 25 characters long"));
    }
    spec.options.emplace_back(v->get_string());
  }
  if (poll.contains("option_d") && spec.options.size() < 4) {
    return unexpected(errors::invalid_parameter("poll_attachment", "option_d needs option_c"));
  }
  c.poll = std::move(spec);
  return true;
}

Check read_text_attachment(PostContent &c, const Context &ctx) {
  TextAttachment attachment;
  boost::system::error_code ec;
  const json::value doc = json::parse(ctx.param("text_attachment"), ec);
  if (!ec && doc.is_object()) {
    // Sub-field names are UNCONFIRMED: take plaintext or text, link_attachment_url or link.
    const json::object &obj = doc.get_object();
    for (const std::string_view key : {"plaintext", "text"}) {
      if (const json::value *v = obj.if_contains(key); v != nullptr && v->is_string()) {
        attachment.plaintext = v->get_string();
        break;
      }
    }
    for (const std::string_view key : {"link_attachment_url", "link_url", "link"}) {
      if (const json::value *v = obj.if_contains(key); v != nullptr && v->is_string()) {
        attachment.link_url = v->get_string();
        break;
      }
    }
  } else {
    attachment.plaintext = ctx.param("text_attachment");
  }
  if (attachment.plaintext.empty()) {
    return unexpected(errors::invalid_parameter("text_attachment", "needs plaintext"));
  }
  if (count_characters(attachment.plaintext) > max_text_attachment) {
    return unexpected(
        errors::invalid_parameter("text_attachment", "must be at most 10000 characters long"));
  }
  if (!attachment.link_url.empty() && !is_http_url(attachment.link_url)) {
    return unexpected(
        errors::invalid_parameter("text_attachment", "link_attachment_url must be an http(s) URL"));
  }
  c.text_attachment = std::move(attachment);
  return true;
}

Check read_spoilers(PostContent &c, const Context &ctx) {
  auto doc = read_json(ctx, "text_entities");
  if (!doc) {
    return unexpected(doc.error());
  }
  // The wire encoding is UNCONFIRMED: take a JSON array or {"data":[...]}.
  const json::array *items = doc->if_array();
  if (items == nullptr && doc->is_object()) {
    if (const json::value *data = doc->get_object().if_contains("data")) {
      items = data->if_array();
    }
  }
  if (items == nullptr) {
    return unexpected(errors::invalid_parameter("text_entities", "must be a JSON array"));
  }
  if (items->size() > max_spoilers) {
    return unexpected(errors::invalid_parameter("text_entities", "at most 10 entities per post"));
  }
  const std::vector<std::size_t> boundaries = utf16_boundaries(c.text);
  const auto on_boundary = [&](std::int64_t index) {
    return index >= 0 && std::binary_search(boundaries.begin(), boundaries.end(),
                                            static_cast<std::size_t>(index));
  };
  for (const auto &item : *items) {
    const json::object *obj = item.if_object();
    const json::value *type = obj != nullptr ? obj->if_contains("entity_type") : nullptr;
    const json::value *offset = obj != nullptr ? obj->if_contains("offset") : nullptr;
    const json::value *size = obj != nullptr ? obj->if_contains("length") : nullptr;
    if (type == nullptr || !type->is_string() || ascii_upper(type->get_string()) != "SPOILER" ||
        offset == nullptr || !offset->is_int64() || size == nullptr || !size->is_int64()) {
      return unexpected(errors::invalid_parameter(
          "text_entities", "each entity needs entity_type SPOILER, offset and length"));
    }
    const SpoilerRange range{offset->get_int64(), size->get_int64()};
    if (range.offset < 0 || range.length <= 0 ||
        range.offset + range.length > static_cast<std::int64_t>(boundaries.back())) {
      return unexpected(errors::invalid_parameter(
          "text_entities", "an entity lies outside the text (counted in UTF-16 code units)"));
    }
    if (!on_boundary(range.offset) || !on_boundary(range.offset + range.length)) {
      return unexpected(errors::invalid_parameter(
          "text_entities", "an entity splits a character (a UTF-16 surrogate pair)"));
    }
    c.spoilers.push_back(range);
  }
  return true;
}

Check read_gif(PostContent &c, const Context &ctx) {
  auto doc = read_json(ctx, "gif_attachment");
  if (!doc) {
    return unexpected(doc.error());
  }
  const json::object *obj = doc->if_object();
  const json::value *id = obj != nullptr ? obj->if_contains("gif_id") : nullptr;
  const json::value *provider = obj != nullptr ? obj->if_contains("provider") : nullptr;
  if (id == nullptr || !id->is_string() || provider == nullptr || !provider->is_string() ||
      (ascii_upper(provider->get_string()) != "GIPHY" &&
       ascii_upper(provider->get_string()) != "TENOR")) {
    return unexpected(errors::invalid_parameter(
        "gif_attachment", "needs gif_id and provider GIPHY (or the deprecated TENOR)"));
  }
  c.gif = GifSpec{std::string(id->get_string()), ascii_upper(provider->get_string())};
  return true;
}

} // namespace sandbox
