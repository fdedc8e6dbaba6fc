// Parses and validates the plugin configuration.
#include "config.hpp"

#include <boost/json.hpp>

#include <regex>

namespace threads {
namespace json = boost::json;
using autohost::Error;

namespace {

Error config_error(std::string_view key, std::string_view what) {
  return Error::make(AH_INVALID_INPUT, "plugin config: '" + std::string(key) + "' " +
                                           std::string(what));
}

bool is_base_url(std::string_view url) {
  // TLS is mandatory, even for test servers (the sandbox serves HTTPS with a test CA).
  static const std::regex pattern(R"(^https://[^/?#\s]+$)");
  return std::regex_match(url.begin(), url.end(), pattern);
}

} // namespace

autohost::Result<Config> parse_config(std::string_view text) {
  Config config;
  if (text.empty()) return config;
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return Error::make(AH_INVALID_INPUT, "plugin config is not valid JSON: " + ec.message());
  if (!doc.is_object()) return Error::make(AH_INVALID_INPUT, "plugin config must be a JSON object");
  for (const auto &[key, value] : doc.as_object()) {
    const std::string_view k = key;
    if (!value.is_string()) return config_error(k, "must be a string");
    const std::string v(value.as_string());
    if (k == "graph_base_url" || k == "oauth_base_url") {
      if (!is_base_url(v)) return config_error(k, "must be an https:// URL with no path");
      (k == "graph_base_url" ? config.graph_base_url : config.oauth_base_url) = v;
    } else if (k == "api_version") {
      static const std::regex version(R"(^v[0-9]+\.[0-9]+$)");
      if (!std::regex_match(v, version)) return config_error(k, "must look like v1.0");
      config.api_version = v;
    } else if (k == "token_placement") {
      if (v != "header" && v != "query") return config_error(k, "must be \"header\" or \"query\"");
      config.token_placement = v == "header" ? TokenPlacement::header : TokenPlacement::query;
    } else if (k == "ca_file") {
      config.ca_file = v;
    } else {
      return config_error(k, "is not a known setting");
    }
  }
  return config;
}

std::string to_json(const Config &config) {
  json::object o;
  o["graph_base_url"] = config.graph_base_url;
  o["api_version"] = config.api_version;
  o["oauth_base_url"] = config.oauth_base_url;
  o["token_placement"] = config.token_placement == TokenPlacement::header ? "header" : "query";
  if (!config.ca_file.empty()) o["ca_file"] = config.ca_file;
  return json::serialize(o);
}

} // namespace threads
