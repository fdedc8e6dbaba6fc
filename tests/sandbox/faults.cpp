// Fault rules: parsing them from control JSON, matching them to requests, rendering their replies.
#include "faults.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace sandbox {
namespace json = boost::json;

namespace {

constexpr std::array<std::pair<std::string_view, FaultMode>, 13> mode_names{{
    {"http_500", FaultMode::http_500},
    {"http_503", FaultMode::http_503},
    {"http_429", FaultMode::http_429},
    {"reset", FaultMode::reset},
    {"stall", FaultMode::stall},
    {"malformed_json", FaultMode::malformed_json},
    {"truncated", FaultMode::truncated},
    {"publish_succeeds_then_500", FaultMode::publish_succeeds_then_500},
    {"graph_error", FaultMode::graph_error},
    {"container_error", FaultMode::container_error},
    {"delay", FaultMode::delay},
    {"expired_token", FaultMode::expired_token},
    {"odd_answer", FaultMode::odd_answer},
}};

std::string_view mode_name(FaultMode mode) {
  for (const auto &[name, m] : mode_names) {
    if (m == mode) {
      return name;
    }
  }
  return "?";
}

bool matches(const FaultRule &rule, std::string_view group) {
  return rule.group == "any" || rule.group == group;
}

Expected<std::int64_t, std::string> read_int(const json::object &spec, std::string_view key,
                                             std::int64_t fallback, std::int64_t min_value) {
  const json::value *v = spec.if_contains(key);
  if (v == nullptr) {
    return fallback;
  }
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() < 1'000'000'000ULL) {
    n = static_cast<std::int64_t>(v->get_uint64());
  } else {
    return unexpected("'" + std::string(key) + "' must be an integer");
  }
  if (n < min_value) {
    return unexpected("'" + std::string(key) + "' must be at least " + std::to_string(min_value));
  }
  return n;
}

Expected<std::string, std::string> read_string(const json::object &spec, std::string_view key,
                                               std::string fallback) {
  const json::value *v = spec.if_contains(key);
  if (v == nullptr) {
    return fallback;
  }
  if (!v->is_string()) {
    return unexpected("'" + std::string(key) + "' must be a string");
  }
  return std::string(v->get_string());
}

} // namespace

const std::vector<std::string_view> &endpoint_groups() {
  static const std::vector<std::string_view> groups{
      "oauth", "exchange", "refresh", "create", "publish", "status", "read", "delete", "manage"};
  return groups;
}

bool is_endpoint_group(std::string_view group) {
  const auto &groups = endpoint_groups();
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

namespace {

using Step = Expected<bool, std::string>; // the value is unused; errors name the key

Step check_known_keys(const json::object &spec) {
  static constexpr std::array<std::string_view, 17> known{
      "group",         "mode",         "count",       "execute",
      "retry_after_s", "stall_s",      "http_status", "code",
      "error_subcode", "is_transient", "message",     "type",
      "error_message", "retry_after",  "body",        "error_user_title",
      "error_user_msg"};
  for (const auto &entry : spec) {
    const std::string_view key = entry.key();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return unexpected("unknown key '" + std::string(key) + "'");
    }
  }
  return true;
}

Step read_group_and_mode(FaultRule &rule, const json::object &spec) {
  auto group = read_string(spec, "group", "any");
  if (!group) {
    return unexpected(group.error());
  }
  if (*group != "any" && !is_endpoint_group(*group)) {
    return unexpected("'group' must be one of oauth, exchange, refresh, create, publish, "
                      "status, read, delete, manage, any (got '" +
                      *group + "')");
  }
  rule.group = *group;

  auto mode = read_string(spec, "mode", "");
  if (!mode) {
    return unexpected(mode.error());
  }
  const auto found = std::find_if(mode_names.begin(), mode_names.end(),
                                  [&](const auto &entry) { return entry.first == *mode; });
  if (found == mode_names.end()) {
    return unexpected("'mode' must be one of http_500, http_503, http_429, reset, stall, "
                      "malformed_json, truncated, publish_succeeds_then_500, graph_error, "
                      "container_error, delay, expired_token, odd_answer (got '" +
                      *mode + "')");
  }
  rule.mode = found->second;
  if (rule.mode == FaultMode::container_error && rule.group != "create" && rule.group != "any") {
    return unexpected("container_error applies to container creation: use group 'create'");
  }
  return true;
}

// Counts, delays, the HTTP status, the Graph code, and the raw Retry-After and body.
Step read_numbers(FaultRule &rule, const json::object &spec) {
  auto count = read_int(spec, "count", 1, 1);
  auto retry_after = read_int(spec, "retry_after_s", 1, 0);
  auto stall = read_int(spec, "stall_s", 30, 0);
  auto status =
      read_int(spec, "http_status", rule.mode == FaultMode::expired_token ? 401 : 400, 100);
  auto code = read_int(spec, "code", 1, 0);
  for (const auto *r : {&count, &retry_after, &stall, &status, &code}) {
    if (!*r) {
      return unexpected(r->error());
    }
  }
  if (*status > 599) {
    return unexpected("'http_status' must be between 100 and 599");
  }
  rule.remaining = *count;
  rule.retry_after_s = *retry_after;
  auto raw_retry_after = read_string(spec, "retry_after", "");
  if (!raw_retry_after)
    return unexpected(raw_retry_after.error());
  rule.retry_after = *raw_retry_after;
  auto body = read_string(spec, "body", R"({"id":1e400})");
  if (!body)
    return unexpected(body.error());
  rule.body = *body;
  rule.stall_s = *stall;
  rule.http_status = static_cast<unsigned>(*status);
  rule.graph.code = static_cast<int>(*code);
  return true;
}

// execute, is_transient and error_subcode, and the rules that tie them to the mode.
Step read_flags(FaultRule &rule, const json::object &spec) {
  if (const json::value *v = spec.if_contains("execute")) {
    if (!v->is_bool()) {
      return unexpected("'execute' must be a boolean");
    }
    rule.execute = v->get_bool();
  }
  if (rule.mode == FaultMode::publish_succeeds_then_500 || rule.mode == FaultMode::delay) {
    rule.execute = true;
  }
  // Meta documents 190 with 401 and 400 alike (threads-api.md 5); nothing else is 190.
  if (rule.mode == FaultMode::expired_token && rule.http_status != 400 && rule.http_status != 401) {
    return unexpected("'http_status' of expired_token must be 400 or 401");
  }
  if (const json::value *v = spec.if_contains("is_transient")) {
    if (!v->is_bool()) {
      return unexpected("'is_transient' must be a boolean");
    }
    rule.graph.is_transient = v->get_bool();
  }
  if (spec.contains("error_subcode")) {
    auto subcode = read_int(spec, "error_subcode", 0, 0);
    if (!subcode) {
      return unexpected(subcode.error());
    }
    rule.graph.subcode = static_cast<int>(*subcode);
  }
  return true;
}

// The texts of the Graph error and of a container's error_message.
Step read_texts(FaultRule &rule, const json::object &spec) {
  auto message = read_string(spec, "message",
                             "An unexpected error has occurred. Please retry "
                             "your request later.");
  auto type = read_string(spec, "type", "OAuthException");
  auto user_title = read_string(spec, "error_user_title", "");
  auto user_msg = read_string(spec, "error_user_msg", "");
  auto container_message = read_string(spec, "error_message", "UNKNOWN");
  for (const auto *r : {&message, &type, &user_title, &user_msg, &container_message}) {
    if (!*r) {
      return unexpected(r->error());
    }
  }
  rule.graph.message = *message;
  rule.graph.type = *type;
  rule.graph.user_title = *user_title;
  rule.graph.user_msg = *user_msg;
  rule.error_message = *container_message;
  return true;
}

} // namespace

Expected<FaultRule, std::string> parse_fault_rule(const json::object &spec) {
  if (auto known = check_known_keys(spec); !known) {
    return unexpected(known.error());
  }
  FaultRule rule;
  for (auto step : {&read_group_and_mode, &read_numbers, &read_flags, &read_texts}) {
    if (auto r = step(rule, spec); !r) {
      return unexpected(r.error());
    }
  }
  return rule;
}

json::object to_json(const FaultRule &rule) {
  json::object out{{"id", rule.id},
                   {"group", rule.group},
                   {"mode", mode_name(rule.mode)},
                   {"remaining", rule.remaining},
                   {"execute", rule.execute}};
  switch (rule.mode) {
  case FaultMode::http_429:
    out["retry_after_s"] = rule.retry_after_s;
    if (!rule.retry_after.empty())
      out["retry_after"] = rule.retry_after;
    break;
  case FaultMode::stall:
  case FaultMode::delay:
    out["stall_s"] = rule.stall_s;
    break;
  case FaultMode::expired_token:
    out["http_status"] = rule.http_status;
    break;
  case FaultMode::container_error:
    out["error_message"] = rule.error_message;
    break;
  case FaultMode::graph_error:
    out["http_status"] = rule.http_status;
    out["code"] = rule.graph.code;
    if (rule.graph.subcode) {
      out["error_subcode"] = *rule.graph.subcode;
    }
    out["is_transient"] = rule.graph.is_transient;
    out["message"] = rule.graph.message;
    break;
  default:
    break;
  }
  return out;
}

std::uint64_t FaultTable::add(FaultRule rule) {
  rule.id = next_id_++;
  rules_.push_back(std::move(rule));
  return rules_.back().id;
}

std::optional<FaultRule> FaultTable::take(std::string_view group) {
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->mode != FaultMode::container_error && matches(*it, group)) {
      FaultRule fired = *it;
      if (--it->remaining <= 0) {
        rules_.erase(it);
      }
      return fired;
    }
  }
  return std::nullopt;
}

std::optional<std::string> FaultTable::take_container_error(std::string_view group) {
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->mode == FaultMode::container_error && matches(*it, group)) {
      std::string message = it->error_message;
      if (--it->remaining <= 0) {
        rules_.erase(it);
      }
      return message;
    }
  }
  return std::nullopt;
}

Reply render_fault(const FaultRule &rule, const Reply *executed) {
  switch (rule.mode) {
  case FaultMode::http_500: {
    GraphError e;
    e.code = 1;
    e.message = "An unknown error has occurred.";
    e.is_transient = true;
    return graph_error_reply(500, e);
  }
  case FaultMode::http_503: {
    GraphError e;
    e.code = 2;
    e.message = "Service temporarily unavailable";
    e.is_transient = true;
    return graph_error_reply(503, e);
  }
  case FaultMode::http_429: {
    GraphError e;
    e.code = 4;
    e.message = "Application request limit reached";
    e.is_transient = true;
    Reply reply = graph_error_reply(429, e);
    reply.headers.emplace_back("Retry-After", rule.retry_after.empty()
                                                  ? std::to_string(rule.retry_after_s)
                                                  : rule.retry_after);
    reply.headers.emplace_back("X-App-Usage",
                               R"({"call_count":100,"total_cputime":100,"total_time":100})");
    return reply;
  }
  case FaultMode::publish_succeeds_then_500: {
    // The shape fia-f1-docs-bot#52 saw from threads_publish calls that had in fact published.
    GraphError e;
    e.code = 10;
    e.message = "Application does not have permission for this action";
    return graph_error_reply(500, e);
  }
  case FaultMode::graph_error:
    return graph_error_reply(rule.http_status, rule.graph);
  case FaultMode::odd_answer: {
    Reply reply;
    reply.body = rule.body;
    return reply;
  }
  case FaultMode::malformed_json: {
    Reply reply;
    reply.body = R"({"id": "17890000000000001", "status": FINISHED,, "data": [)";
    return reply;
  }
  case FaultMode::truncated: {
    Reply reply = executed != nullptr ? *executed : Reply{};
    if (executed == nullptr) {
      reply.body = R"({"id":"17890000000000001","status":"FINISHED","padding":")" +
                   std::string(64, 'x') + R"("})";
    }
    reply.delivery = Delivery::truncated;
    return reply;
  }
  case FaultMode::reset: {
    Reply reply;
    reply.delivery = Delivery::reset;
    return reply;
  }
  case FaultMode::stall: {
    Reply reply;
    reply.delivery = Delivery::stall;
    reply.stall_for = std::chrono::seconds{rule.stall_s};
    return reply;
  }
  case FaultMode::delay: {
    Reply reply = executed != nullptr ? *executed : Reply{};
    reply.delivery = Delivery::delayed;
    reply.stall_for = std::chrono::seconds{rule.stall_s};
    return reply;
  }
  case FaultMode::expired_token: {
    GraphError e;
    e.code = 190;
    e.subcode = 463;
    e.message = "Error validating access token: Session has expired.";
    return graph_error_reply(rule.http_status, e);
  }
  case FaultMode::container_error:
    break;
  }
  return executed != nullptr ? *executed : Reply{};
}

} // namespace sandbox
