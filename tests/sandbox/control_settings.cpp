// Control API settings: the clock offset, the config (delays, quotas, variants), fault rules.
#include "control_support.hpp"
#include "text_rules.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>

namespace sandbox::control {
namespace json = boost::json;

namespace {

std::optional<MediaKind> media_kind_from(std::string_view name) {
  const std::string upper = ascii_upper(name);
  for (MediaKind kind :
       {MediaKind::text, MediaKind::image, MediaKind::video, MediaKind::carousel}) {
    if (media_kind_name(kind) == upper) {
      return kind;
    }
  }
  return std::nullopt;
}

json::object clock_json(const Sandbox &sandbox) {
  const TimePoint now = sandbox.clock.now();
  return json::object{{"now", unix_seconds(now)},
                      {"now_ms", now.time_since_epoch().count()},
                      {"now_iso", graph_timestamp(now)},
                      {"offset_s", millis_to_seconds(sandbox.clock.offset())}};
}

json::object config_json(const Config &config) {
  json::object delays;
  for (const auto &[kind, delay] : config.container_delay) {
    delays[media_kind_name(kind)] = millis_to_seconds(delay);
  }
  return json::object{{"container_delay_s", std::move(delays)},
                      {"publish_not_ready_s", millis_to_seconds(config.publish_not_ready)},
                      {"revoke_on_refresh", config.revoke_on_refresh},
                      {"accept_bearer", config.accept_bearer},
                      {"exchange_returns_expires_in", config.exchange_returns_expires_in},
                      {"exchange_user_id_as_string", config.exchange_user_id_as_string},
                      {"refresh_keeps_token_string", config.refresh_keeps_token_string},
                      {"no_server_dedup", config.no_server_dedup},
                      {"container_life_s", millis_to_seconds(config.container_life)},
                      {"apps_in_dev_mode", config.apps_in_dev_mode},
                      {"quota", json::object{{"posts", config.quota.posts},
                                             {"replies", config.quota.replies},
                                             {"deletes", config.quota.deletes}}}};
}

// Validates every key before changing anything, so a bad request leaves the config as it was.
std::optional<std::string> apply_delays(Config &config, const json::value &spec) {
  if (!spec.is_object()) {
    return R"(container_delay_s must be an object like {"TEXT":1,"VIDEO":10})";
  }
  std::map<MediaKind, Millis> updated = config.container_delay;
  for (const auto &entry : spec.get_object()) {
    const auto kind = media_kind_from(entry.key());
    const auto seconds = as_number(entry.value());
    if (!kind) {
      return "unknown media type '" + std::string(entry.key()) +
             "' in container_delay_s (TEXT, IMAGE, VIDEO, CAROUSEL)";
    }
    if (!seconds || *seconds < 0) {
      return "container_delay_s." + std::string(entry.key()) + " must be a number >= 0";
    }
    updated[*kind] = seconds_to_millis(*seconds);
  }
  config.container_delay = std::move(updated);
  return std::nullopt;
}

std::optional<std::string> apply_config(Config &config, const json::object &body) {
  Config updated = config;
  const std::array<std::pair<std::string_view, bool *>, 7> flags{{
      {"revoke_on_refresh", &updated.revoke_on_refresh},
      {"accept_bearer", &updated.accept_bearer},
      {"exchange_returns_expires_in", &updated.exchange_returns_expires_in},
      {"exchange_user_id_as_string", &updated.exchange_user_id_as_string},
      {"refresh_keeps_token_string", &updated.refresh_keeps_token_string},
      {"no_server_dedup", &updated.no_server_dedup},
      {"apps_in_dev_mode", &updated.apps_in_dev_mode},
  }};
  for (const auto &entry : body) {
    const std::string_view key = entry.key();
    const auto flag = std::find_if(std::begin(flags), std::end(flags),
                                   [&](const auto &f) { return f.first == key; });
    if (flag != std::end(flags)) {
      if (!entry.value().is_bool()) {
        return std::string(key) + " must be a boolean";
      }
      *flag->second = entry.value().get_bool();
    } else if (key == "container_delay_s") {
      if (auto error = apply_delays(updated, entry.value())) {
        return error;
      }
    } else if (key == "container_life_s") {
      const auto seconds = as_number(entry.value());
      if (!seconds || *seconds <= 0) {
        return std::string("container_life_s must be a number > 0");
      }
      updated.container_life = seconds_to_millis(*seconds);
    } else if (key == "publish_not_ready_s") {
      const auto seconds = as_number(entry.value());
      if (!seconds || *seconds < 0) {
        return std::string("publish_not_ready_s must be a number >= 0");
      }
      updated.publish_not_ready = seconds_to_millis(*seconds);
    } else if (key == "quota") {
      if (!entry.value().is_object()) {
        return std::string(R"(quota must be an object like {"posts":250})");
      }
      for (const auto &q : entry.value().get_object()) {
        std::int64_t *target = q.key() == "posts"     ? &updated.quota.posts
                               : q.key() == "replies" ? &updated.quota.replies
                               : q.key() == "deletes" ? &updated.quota.deletes
                                                      : nullptr;
        if (target == nullptr) {
          return "unknown quota '" + std::string(q.key()) + "' (posts, replies, deletes)";
        }
        if (!q.value().is_int64() || q.value().get_int64() < 0) {
          return "quota." + std::string(q.key()) + " must be an integer >= 0";
        }
        *target = q.value().get_int64();
      }
    } else {
      return "unknown config key '" + std::string(key) + "'";
    }
  }
  config = std::move(updated);
  return std::nullopt;
}

json::array fault_list(const FaultTable &faults) {
  json::array list;
  for (const auto &rule : faults.rules()) {
    list.push_back(to_json(rule));
  }
  return list;
}

} // namespace

Reply clock(Sandbox &sandbox, const Request &request) {
  if (request.method == "POST") {
    auto body = body_object(request);
    if (!body) {
      return body.error();
    }
    const json::value *advance = body->if_contains("advance_s");
    const json::value *offset = body->if_contains("offset_s");
    if ((advance == nullptr) == (offset == nullptr) || body->size() != 1) {
      return fail(400, R"(send exactly one of {"advance_s": N} or {"offset_s": N})");
    }
    const auto seconds = as_number(advance != nullptr ? *advance : *offset);
    if (!seconds) {
      return fail(400, "the value must be a number of seconds");
    }
    if (advance != nullptr) {
      sandbox.clock.advance(seconds_to_millis(*seconds));
    } else {
      sandbox.clock.set_offset(seconds_to_millis(*seconds));
    }
  } else if (request.method != "GET") {
    return method_not_allowed(request.method, "/__sandbox/clock");
  }
  return ok(clock_json(sandbox));
}

Reply config(Sandbox &sandbox, const Request &request, ConfigPart part) {
  Config &config = sandbox.world.config;
  if (request.method == "POST") {
    auto body = body_object(request);
    if (!body) {
      return body.error();
    }
    const auto error = part == ConfigPart::container_delays ? apply_delays(config, *body)
                                                            : apply_config(config, *body);
    if (error) {
      return fail(400, *error);
    }
  } else if (request.method != "GET") {
    return method_not_allowed(request.method, "/__sandbox/config");
  }
  return ok(config_json(config));
}

Reply faults(Sandbox &sandbox, const Request &request) {
  FaultTable &table = sandbox.world.faults;
  if (request.method == "GET") {
    return ok(json::object{{"faults", fault_list(table)}});
  }
  if (request.method == "DELETE") {
    const auto cleared = table.rules().size();
    table.clear();
    return ok(json::object{{"cleared", cleared}});
  }
  if (request.method != "POST") {
    return method_not_allowed(request.method, "/__sandbox/faults");
  }
  boost::system::error_code ec;
  const json::value doc = json::parse(request.body, ec);
  if (ec) {
    return fail(400, "the body must be a fault object, an array of them, or {\"faults\":[...]}");
  }
  json::array specs;
  if (doc.is_array()) {
    specs = doc.get_array();
  } else if (doc.is_object() && doc.get_object().contains("faults") &&
             doc.get_object().at("faults").is_array()) {
    specs = doc.get_object().at("faults").get_array();
  } else if (doc.is_object()) {
    specs.push_back(doc);
  } else {
    return fail(400, "the body must be a fault object, an array of them, or {\"faults\":[...]}");
  }
  std::vector<FaultRule> rules;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!specs[i].is_object()) {
      return fail(400, "fault #" + std::to_string(i) + " is not an object");
    }
    auto rule = parse_fault_rule(specs[i].get_object());
    if (!rule) {
      return fail(400, "fault #" + std::to_string(i) + ": " + rule.error());
    }
    rules.push_back(std::move(*rule));
  }
  json::array ids;
  for (auto &rule : rules) {
    ids.push_back(table.add(std::move(rule)));
  }
  return ok(json::object{{"ids", std::move(ids)}, {"faults", fault_list(table)}});
}

} // namespace sandbox::control
