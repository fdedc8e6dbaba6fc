// Parses and validates the plugin configuration.
#include "config.hpp"
#include "plain_number.hpp"

#include <boost/json.hpp>

#include <regex>

namespace threads {
namespace json = boost::json;
using autohost::Error;

namespace {

Error config_error(std::string_view key, std::string_view what) {
  return Error::make(AH_INVALID_INPUT,
                     "plugin config: '" + std::string(key) + "' " + std::string(what));
}

// Bounds that keep every duration far inside what a millisecond count or an int can hold.
constexpr double max_wait_s = 86400;
constexpr double max_request_timeout_s = 3600;

bool is_base_url(std::string_view url) {
  // TLS is mandatory, even for test servers (the sandbox serves HTTPS with a test CA).
  static const std::regex pattern(R"(^https://[^/?#\s]+$)");
  return std::regex_match(url.begin(), url.end(), pattern);
}

autohost::Result<autohost::Done> parse_waits(const json::value &value, Config &config) {
  if (!value.is_object())
    return config_error("container_wait", "must be an object");
  for (const auto &[kind, wait] : value.as_object()) {
    const std::string name = "container_wait." + std::string(kind);
    ContainerWait *target = kind == "text"    ? &config.text_wait
                            : kind == "image" ? &config.image_wait
                            : kind == "video" ? &config.video_wait
                                              : nullptr;
    if (target == nullptr)
      return config_error(name, "is not text, image or video");
    if (!wait.is_object())
      return config_error(name, "must be an object");
    for (const auto &[field, number] : wait.as_object()) {
      const std::string full = name + "." + std::string(field);
      if (!number.is_number() || number.to_number<double>() < 0 ||
          number.to_number<double>() > max_wait_s) {
        return config_error(full, "must be a number of seconds from 0 to 86400 (a day)");
      }
      const double v = number.to_number<double>();
      if (field == "first_check_s") {
        target->first_check_s = v;
      } else if (field == "interval_s" && v > 0) {
        target->interval_s = v;
      } else if (field == "budget_s" && v > 0) {
        target->budget_s = v;
      } else if (field == "publish_budget_s") {
        target->publish_budget_s = v;
      } else {
        return config_error(full,
                            "is not first_check_s, interval_s, budget_s (>0) or publish_budget_s");
      }
    }
  }
  return autohost::Done{};
}

} // namespace

autohost::Result<Config> parse_config(std::string_view text) {
  Config config;
  if (text.empty())
    return config;
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec)
    return Error::make(AH_INVALID_INPUT, "plugin config is not valid JSON: " + ec.message());
  if (!doc.is_object())
    return Error::make(AH_INVALID_INPUT, "plugin config must be a JSON object");
  for (const auto &[key, value] : doc.as_object()) {
    const std::string_view k = key;
    if (k == "container_wait") {
      AH_TRY(parse_waits(value, config));
      continue;
    }
    if (k == "request_timeout_s") {
      if (!value.is_number() || value.to_number<double>() <= 0 ||
          value.to_number<double>() > max_request_timeout_s) {
        return config_error(k, "must be a number of seconds above 0, at most 3600");
      }
      config.request_timeout_s = value.to_number<double>();
      continue;
    }
    if (k == "max_retry_wait_s") {
      if (!value.is_number() || value.to_number<double>() < 0 || value.to_number<double>() > 300) {
        return config_error(k, "must be a number of seconds from 0 to 300");
      }
      config.max_retry_wait_s = value.to_number<double>();
      continue;
    }
    if (k == "refresh_window_days") {
      // Above 59 days every token would be due as soon as Meta allows (24 h): allowed, but
      // then the window no longer means anything; below 1 day a missed run loses tokens.
      if (!value.is_number() || value.to_number<double>() < 1 || value.to_number<double>() > 59) {
        return config_error(k, "must be a number of days from 1 to 59");
      }
      config.refresh_window_days = value.to_number<double>();
      continue;
    }
    if (k == "refresh_concurrency") {
      if (!value.is_int64() || value.as_int64() < 1 || value.as_int64() > 256) {
        return config_error(k, "must be a whole number from 1 to 256");
      }
      config.refresh_concurrency = static_cast<int>(value.as_int64());
      continue;
    }
    if (!value.is_string())
      return config_error(k, "must be a string");
    const std::string v(value.as_string());
    if (k == "graph_base_url" || k == "oauth_base_url") {
      if (!is_base_url(v))
        return config_error(k, "must be an https:// URL with no path");
      (k == "graph_base_url" ? config.graph_base_url : config.oauth_base_url) = v;
    } else if (k == "api_version") {
      static const std::regex version(R"(^v[0-9]+\.[0-9]+$)");
      if (!std::regex_match(v, version))
        return config_error(k, "must look like v1.0");
      config.api_version = v;
    } else if (k == "token_placement") {
      if (v != "header" && v != "query")
        return config_error(k, "must be \"header\" or \"query\"");
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
  if (!config.ca_file.empty())
    o["ca_file"] = config.ca_file;
  json::object waits;
  for (const auto &[name, w] :
       {std::pair{"text", config.text_wait}, std::pair{"image", config.image_wait},
        std::pair{"video", config.video_wait}}) {
    waits[name] = json::object{{"first_check_s", plain_number(w.first_check_s)},
                               {"interval_s", plain_number(w.interval_s)},
                               {"budget_s", plain_number(w.budget_s)},
                               {"publish_budget_s", plain_number(w.publish_budget_s)}};
  }
  o["container_wait"] = std::move(waits);
  o["request_timeout_s"] = plain_number(config.request_timeout_s);
  o["max_retry_wait_s"] = plain_number(config.max_retry_wait_s);
  o["refresh_window_days"] = plain_number(config.refresh_window_days);
  o["refresh_concurrency"] = config.refresh_concurrency;
  return json::serialize(o);
}

} // namespace threads
