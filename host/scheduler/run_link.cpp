// Reading a run's output for the link to what it made.
#include "scheduler/run_link.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace autohost::scheduler {
namespace json = boost::json;

std::string permalink_of(std::string_view output_json) {
  if (output_json.empty())
    return "";
  boost::system::error_code ec;
  const json::value v = json::parse(output_json, ec);
  const json::value *link = ec || !v.is_object() ? nullptr : v.as_object().if_contains("permalink");
  if (link == nullptr || !link->is_string())
    return "";
  const std::string_view text = link->as_string();
  const bool web = text.starts_with("https://") || text.starts_with("http://");
  const bool clean = std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F;
  });
  return web && clean && text.size() <= 2048 ? std::string(text) : "";
}

} // namespace autohost::scheduler
