// Reading an action's JSON input field by field.
#include "actions/input_reader.hpp"

#include <algorithm>

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

Error field_error(std::string_view action, std::string_view field, std::string_view message) {
  json::object body{
      {"code", "invalid_input"},
      {"field", field},
      {"message", std::string(action) + ": '" + std::string(field) + "' " + std::string(message)}};
  return Error{AH_INVALID_INPUT, json::serialize(body)};
}

namespace {

// The path of the first string in `v` that holds a NUL character ("poll.option_a"), or "".
// JSON can carry an escaped NUL, but no text sent to Threads may: C strings and the form encoding
// would cut it there, so what is published would differ from what was asked for.
std::string first_nul_text(const json::value &v, const std::string &path) {
  if (v.is_string())
    return v.as_string().find('\0') == json::string::npos ? std::string() : path;
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
      auto found = first_nul_text(v.as_array()[i], path + "[" + std::to_string(i) + "]");
      if (!found.empty())
        return found;
    }
  }
  if (v.is_object()) {
    for (const auto &[key, item] : v.as_object()) {
      auto found =
          first_nul_text(item, path.empty() ? std::string(key) : path + "." + std::string(key));
      if (!found.empty())
        return found;
    }
  }
  return {};
}

} // namespace

Result<json::value> parse_input(std::string_view action, std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text.empty() ? std::string_view("{}") : text, ec);
  if (ec)
    return field_error(action, "(input)", "is not valid JSON: " + ec.message());
  if (!doc.is_object())
    return field_error(action, "(input)", "must be a JSON object");
  if (auto field = first_nul_text(doc, ""); !field.empty())
    return field_error(action, field, "contains a NUL character (\\u0000), which text cannot hold");
  return doc;
}

Result<Reader> Reader::parse(std::string_view action, std::string_view text) {
  AH_TRY_DECLARE(doc, parse_input(action, text));
  auto owned = std::make_shared<const json::value>(std::move(doc));
  Reader r(action, owned->as_object());
  r.doc_ = std::move(owned);
  return r;
}

Result<std::string> Reader::string(std::string_view key) {
  seen_.emplace(key);
  const json::value *v = o_->if_contains(key);
  if (v == nullptr || v->is_null())
    return std::string();
  if (!v->is_string())
    return error(key, "must be a string");
  return std::string(v->as_string());
}

Result<std::string> Reader::id(std::string_view key) {
  seen_.emplace(key);
  const json::value *v = o_->if_contains(key);
  if (v == nullptr || v->is_null())
    return std::string();
  std::string s;
  if (v->is_string()) {
    s = std::string(v->as_string());
  } else if (v->is_int64() && v->as_int64() > 0) {
    s = std::to_string(v->as_int64());
  } else if (v->is_uint64()) {
    s = std::to_string(v->as_uint64());
  }
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return error(key, "must be an id (a string of digits)");
  }
  return s;
}

Result<bool> Reader::boolean(std::string_view key) {
  seen_.emplace(key);
  const json::value *v = o_->if_contains(key);
  if (v == nullptr || v->is_null())
    return false;
  if (!v->is_bool())
    return error(key, "must be true or false");
  return v->as_bool();
}

Result<std::optional<std::int64_t>> Reader::integer(std::string_view key, std::int64_t min,
                                                    std::int64_t max) {
  seen_.emplace(key);
  const json::value *v = o_->if_contains(key);
  if (v == nullptr || v->is_null())
    return std::optional<std::int64_t>{};
  if (!v->is_int64() || v->as_int64() < min || v->as_int64() > max) {
    return error(key, "must be a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max));
  }
  return std::optional<std::int64_t>{v->as_int64()};
}

Result<std::vector<std::string>> Reader::strings(std::string_view key) {
  seen_.emplace(key);
  const json::value *v = o_->if_contains(key);
  std::vector<std::string> out;
  if (v == nullptr || v->is_null())
    return out;
  if (v->is_string()) {
    std::string item;
    for (char c : v->as_string()) {
      if (c == ',') {
        if (!item.empty())
          out.push_back(item);
        item.clear();
      } else if (c != ' ') {
        item += c;
      }
    }
    if (!item.empty())
      out.push_back(item);
    return out;
  }
  if (!v->is_array())
    return error(key, "must be a list of strings");
  for (const auto &item : v->as_array()) {
    if (!item.is_string())
      return error(key, "must be a list of strings");
    out.emplace_back(item.as_string());
  }
  return out;
}

const json::value *Reader::raw(std::string_view key) {
  seen_.emplace(key);
  const json::value *v = o_->if_contains(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

Result<autohost::Done> Reader::no_unknown_fields() const {
  for (const auto &[k, v] : *o_) {
    if (seen_.find(std::string_view(k)) == seen_.end())
      return error(k, "is not a known field");
  }
  return autohost::Done{};
}

} // namespace threads::actions
