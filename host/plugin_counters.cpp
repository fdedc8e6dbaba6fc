// Checking a plugin's `count` call against the ABI's rules.
#include "plugin_counters.hpp"

#include "errors.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace autohost::host {
namespace json = boost::json;

namespace {

constexpr std::size_t max_counter_name = 64;
constexpr std::size_t max_labels = 4;
constexpr std::size_t max_value = 64;

bool good_name(std::string_view name) {
  if (name.empty() || name.size() > max_counter_name || name.front() < 'a' || name.front() > 'z')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Error bad(std::string_view name, const std::string &why) {
  return make_error(AH_INVALID_INPUT, "bad_counter",
                    "counter '" + std::string(name.substr(0, max_counter_name)) + "': " + why);
}

} // namespace

Result<CounterLabels> counter_labels(std::string_view name, std::string_view labels_json) {
  if (!good_name(name)) {
    return bad(name, "the name must be 1-64 lower-case letters, digits and '_', starting with "
                     "a letter");
  }
  CounterLabels labels;
  if (labels_json.empty())
    return labels;
  boost::system::error_code ec;
  const json::value parsed = json::parse(labels_json, ec);
  if (ec || !parsed.is_object())
    return bad(name, "the labels are not a JSON object");
  const auto &object = parsed.get_object();
  if (object.size() > max_labels)
    return bad(name, "more than 4 labels");
  for (const auto &member : object) {
    const std::string_view key = member.key();
    if (!good_name(key))
      return bad(name, "a label name must be like a counter name");
    if (key == "plugin")
      return bad(name, "the label 'plugin' is the host's own");
    if (!member.value().is_string())
      return bad(name, "label '" + std::string(key) + "' is not a string");
    const auto &value = member.value().get_string();
    if (value.size() > max_value)
      return bad(name, "label '" + std::string(key) + "' is longer than 64 bytes");
    labels.emplace_back(std::string(key), std::string(value));
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

} // namespace autohost::host
