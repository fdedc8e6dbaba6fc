// Reading and checking the "capabilities" member of a plugin manifest.
#include "capabilities.hpp"

#include "errors.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace autohost::host {
namespace json = boost::json;

bool Capabilities::is_publishing_action(std::string_view action) const {
  return std::find(publishes.begin(), publishes.end(), action) != publishes.end();
}

Result<Capabilities> read_capabilities(std::string_view manifest_json, std::string_view plugin) {
  const std::string where = "plugin " + std::string(plugin) + ": manifest capabilities";
  auto bad = [&](const std::string &what) {
    return make_error(AH_INTERNAL, "bad_manifest", where + what);
  };
  boost::system::error_code ec;
  const json::value manifest = json::parse(manifest_json, ec);
  if (ec || !manifest.is_object())
    return make_error(AH_INTERNAL, "bad_manifest",
                      "plugin " + std::string(plugin) + ": the manifest is not a JSON object");
  std::set<std::string, std::less<>> actions;
  if (const json::value *list = manifest.as_object().if_contains("actions");
      list != nullptr && list->is_array()) {
    for (const auto &a : list->as_array()) {
      const json::value *n = a.is_object() ? a.as_object().if_contains("name") : nullptr;
      if (n != nullptr && n->is_string())
        actions.emplace(n->as_string());
    }
  }
  Capabilities caps;
  const json::value *member = manifest.as_object().if_contains("capabilities");
  if (member == nullptr)
    return caps;
  if (!member->is_object())
    return bad(" must be a JSON object");
  auto action_name = [&](std::string_view field, const json::value &v) -> Result<std::string> {
    const std::string at = "." + std::string(field);
    if (!v.is_string())
      return bad(at + " must be an action name (a string)");
    if (actions.count(v.as_string()) == 0) {
      return bad(at + " names '" + std::string(v.as_string()) +
                 "', which is not an action of the manifest");
    }
    return std::string(v.as_string());
  };
  for (const auto &[key, value] : member->as_object()) {
    if (key == "accounts" || key == "quota") {
      AH_TRY_ASSIGN((key == "accounts" ? caps.accounts : caps.quota), action_name(key, value));
    } else if (key == "publishes") {
      if (!value.is_array())
        return bad(".publishes must be a list of action names");
      for (const auto &a : value.as_array()) {
        AH_TRY_DECLARE(name, action_name("publishes[]", a));
        caps.publishes.push_back(std::move(name));
      }
    } else if (key == "reply_input") {
      if (!value.is_string())
        return bad(".reply_input must be the name of an input field (a string)");
      caps.reply_input = std::string(value.as_string());
    }
    // Other names are for newer hosts: a plugin may declare more than this host reads.
  }
  return caps;
}

std::vector<std::string> read_secret_inputs(std::string_view manifest_json,
                                            std::string_view action) {
  std::vector<std::string> fields;
  boost::system::error_code ec;
  const json::value manifest = json::parse(manifest_json, ec);
  const json::value *list =
      ec || !manifest.is_object() ? nullptr : manifest.as_object().if_contains("actions");
  if (list == nullptr || !list->is_array())
    return fields;
  for (const auto &a : list->as_array()) {
    const json::value *name = a.is_object() ? a.as_object().if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string() || name->as_string() != action)
      continue;
    const json::value *secret = a.as_object().if_contains("secret_inputs");
    if (secret != nullptr && secret->is_array()) {
      for (const auto &field : secret->as_array()) {
        if (field.is_string())
          fields.emplace_back(field.as_string());
      }
    }
  }
  return fields;
}

namespace {
json::value parsed_object(std::string_view input_json) {
  boost::system::error_code ec;
  json::value input = json::parse(input_json, ec);
  return ec ? json::value(nullptr) : input;
}
} // namespace

std::string first_secret_input(std::string_view input_json,
                               const std::vector<std::string> &fields) {
  if (fields.empty())
    return {};
  const json::value input = parsed_object(input_json);
  for (const auto &field : fields) {
    if (input.is_object() && input.as_object().contains(field))
      return field;
  }
  return {};
}

std::string redact_secret_inputs(std::string_view input_json,
                                 const std::vector<std::string> &fields) {
  if (fields.empty())
    return std::string(input_json);
  json::value input = parsed_object(input_json);
  if (!input.is_object())
    return std::string(input_json);
  for (const auto &field : fields) {
    if (json::value *v = input.as_object().if_contains(field))
      *v = "[redacted]";
  }
  return json::serialize(input);
}

} // namespace autohost::host
