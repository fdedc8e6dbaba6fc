// What a plugin's manifest says it can do for the host (the "capabilities" member), so the
// host asks each plugin by the names it declares instead of knowing any plugin's vocabulary.
#pragma once

#include <autohost/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace autohost::host {

// The manifest's optional "capabilities" object (README, "Manifest"). Each name is an
// action of the same manifest; an empty one means the plugin does not offer it.
struct Capabilities {
  // Given {} lists {"accounts": [{"account", "status", ...}]}; given {"account", "scheduled":
  // [times]} judges each time ({"risk": "none|needs_reauth|expires_before", "message"}).
  std::string accounts;
  // For the call's account, {"quota_usage", "config": {"quota_total"}} and optionally
  // {"reply_quota_usage", "reply_config": {"quota_total"}}.
  std::string quota;
  // Actions that publish: their runs count against the quota; the first is the action a
  // calendar entry runs when it names none.
  std::vector<std::string> publishes;
  // The input field that makes a publish a reply (counted against the reply quota).
  std::string reply_input;

  bool is_publishing_action(std::string_view action) const;
};

// Reads the capabilities from a manifest; none declared is an empty Capabilities. The error
// names the plugin and the field at fault (a wrong type, or an action the manifest lacks).
Result<Capabilities> read_capabilities(std::string_view manifest_json, std::string_view plugin);

// The input fields of `action` that its manifest entry marks secret ("secret_inputs":
// ["app_secret"]): values for the secret store, never for a stored schedule or a printed
// input. None when the manifest or the action does not say.
std::vector<std::string> read_secret_inputs(std::string_view manifest_json,
                                            std::string_view action);

// The first of `fields` that the JSON object `input_json` has, or "" when it has none.
std::string first_secret_input(std::string_view input_json, const std::vector<std::string> &fields);

// `input_json` with the value of each of `fields` it has replaced by "[redacted]" (input
// that is not a JSON object comes back as it is).
std::string redact_secret_inputs(std::string_view input_json,
                                 const std::vector<std::string> &fields);

} // namespace autohost::host
