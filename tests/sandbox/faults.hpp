// Fault injection: rules that make the next N requests of an endpoint group fail in a chosen way.
#pragma once

#include "expected.hpp"
#include "graph_errors.hpp"
#include "http_message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boost::json {
class object;
}

namespace sandbox {

enum class FaultMode {
  http_500,
  http_503,
  http_429,
  reset,
  stall,
  malformed_json,
  truncated,
  publish_succeeds_then_500,
  graph_error,
  container_error,
  delay,         // the request runs at once; its answer is held for stall_s seconds
  expired_token, // 190/463 "Session has expired" with http_status 401 (default) or 400
  odd_answer,    // a 200 answer with the rule's body: valid JSON a client may mishandle
};

// The endpoint groups faults and request statistics are keyed by ("any" matches all).
bool is_endpoint_group(std::string_view group);
const std::vector<std::string_view> &endpoint_groups();

struct FaultRule {
  std::uint64_t id = 0;
  std::string group = "any";
  FaultMode mode = FaultMode::http_500;
  std::int64_t remaining = 1;
  // Run the request first (its effects happen), then replace the answer with the fault.
  bool execute = false;
  std::int64_t retry_after_s = 1; // http_429
  // http_429: the Retry-After value sent as it is, in place of retry_after_s: what a
  // misbehaving server or proxy sends ("-5", a date in year 9999).
  std::string retry_after;
  std::string body;                      // odd_answer
  std::int64_t stall_s = 30;             // stall, delay
  unsigned http_status = 400;            // graph_error
  GraphError graph;                      // graph_error
  std::string error_message = "UNKNOWN"; // container_error
};

// Reads a rule from the control API's JSON; errors name the offending key.
Expected<FaultRule, std::string> parse_fault_rule(const boost::json::object &spec);
boost::json::object to_json(const FaultRule &rule);

// Not thread-safe: lives in the World, under the sandbox lock.
class FaultTable {
public:
  std::uint64_t add(FaultRule rule);
  void clear() { rules_.clear(); }
  const std::vector<FaultRule> &rules() const { return rules_; }

  // Consumes one use of the first rule that matches `group`; container_error rules are
  // left for take_container_error().
  std::optional<FaultRule> take(std::string_view group);
  // Consumes one use of the first container_error rule matching `group`; its error_message.
  std::optional<std::string> take_container_error(std::string_view group);

private:
  std::vector<FaultRule> rules_;
  std::uint64_t next_id_ = 1;
};

// The reply a fired rule produces. `executed` is the real reply when the request ran first
// (truncated then cuts that body), null otherwise.
Reply render_fault(const FaultRule &rule, const Reply *executed);

} // namespace sandbox
