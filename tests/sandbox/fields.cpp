// Field-selection parsing and projection.
#include "fields.hpp"

#include <algorithm>
#include <cctype>

namespace sandbox {
namespace json = boost::json;

namespace {

class FieldParser {
public:
  explicit FieldParser(std::string_view text) : text_(text) {}

  Expected<std::vector<FieldSpec>, std::string> parse() {
    auto list = parse_list();
    if (!list) {
      return list;
    }
    skip_spaces();
    if (pos_ != text_.size()) {
      return unexpected("unexpected '" + std::string(1, text_[pos_]) + "' in fields at offset " +
                        std::to_string(pos_));
    }
    return list;
  }

private:
  Expected<std::vector<FieldSpec>, std::string> parse_list() {
    std::vector<FieldSpec> list;
    for (;;) {
      skip_spaces();
      if (pos_ < text_.size() && (text_[pos_] == ',' || text_[pos_] == '}')) {
        if (text_[pos_] == ',') {
          ++pos_; // tolerate empty entries such as "id,,text" or a trailing comma
          continue;
        }
        return list;
      }
      if (pos_ == text_.size()) {
        return list;
      }
      FieldSpec spec;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
        spec.name += text_[pos_++];
      }
      if (spec.name.empty()) {
        return unexpected("unexpected '" + std::string(1, text_[pos_]) + "' in fields at offset " +
                          std::to_string(pos_));
      }
      // Modifiers like .limit(5) or .as(alias) change nothing here.
      while (pos_ < text_.size() && text_[pos_] == '.') {
        const auto close = text_.find(')', pos_);
        if (close == std::string_view::npos) {
          return unexpected(std::string("unterminated modifier in fields"));
        }
        pos_ = close + 1;
      }
      skip_spaces();
      if (pos_ < text_.size() && text_[pos_] == '{') {
        ++pos_;
        auto sub = parse_list();
        if (!sub) {
          return sub;
        }
        if (pos_ >= text_.size() || text_[pos_] != '}') {
          return unexpected("missing '}' after " + spec.name + "{ in fields");
        }
        ++pos_;
        spec.sub = std::move(*sub);
      }
      list.push_back(std::move(spec));
      skip_spaces();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
      } else {
        return list;
      }
    }
  }

  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

json::value project_value(const json::value &v, const std::vector<FieldSpec> &sub);

// Nested objects carry no node-type catalogue here: unknown sub-fields are simply absent.
json::object project_lenient(const json::object &full, const std::vector<FieldSpec> &fields) {
  json::object out;
  for (const auto &spec : fields) {
    if (const json::value *v = full.if_contains(spec.name)) {
      out[spec.name] = project_value(*v, spec.sub);
    }
  }
  return out;
}

json::value ids_only(const json::value &v) {
  if (!v.is_object()) {
    return v;
  }
  const json::object &obj = v.get_object();
  if (const json::value *data = obj.if_contains("data"); data != nullptr && data->is_array()) {
    json::array items;
    for (const auto &item : data->get_array()) {
      if (item.is_object() && item.get_object().contains("id")) {
        items.push_back(json::object{{"id", item.get_object().at("id")}});
      } else {
        items.push_back(item);
      }
    }
    return json::object{{"data", std::move(items)}};
  }
  if (const json::value *id = obj.if_contains("id")) {
    return json::object{{"id", *id}};
  }
  return v;
}

json::value project_value(const json::value &v, const std::vector<FieldSpec> &sub) {
  if (sub.empty()) {
    return ids_only(v);
  }
  if (v.is_object()) {
    const json::object &obj = v.get_object();
    if (const json::value *data = obj.if_contains("data"); data != nullptr && data->is_array()) {
      json::array items;
      for (const auto &item : data->get_array()) {
        items.push_back(item.is_object() ? json::value(project_lenient(item.get_object(), sub))
                                         : item);
      }
      return json::object{{"data", std::move(items)}};
    }
    return project_lenient(obj, sub);
  }
  if (v.is_array()) {
    json::array items;
    for (const auto &item : v.get_array()) {
      items.push_back(item.is_object() ? json::value(project_lenient(item.get_object(), sub))
                                       : item);
    }
    return items;
  }
  return v;
}

} // namespace

Expected<std::vector<FieldSpec>, std::string> parse_fields(std::string_view text) {
  return FieldParser(text).parse();
}

Expected<json::object, std::string> project(const json::object &full,
                                            const std::vector<FieldSpec> &fields,
                                            const std::vector<std::string_view> &known) {
  json::object out;
  for (const auto &spec : fields) {
    if (std::find(known.begin(), known.end(), spec.name) == known.end()) {
      return unexpected(spec.name);
    }
    if (const json::value *v = full.if_contains(spec.name)) {
      out[spec.name] = project_value(*v, spec.sub);
    }
  }
  return out;
}

} // namespace sandbox
