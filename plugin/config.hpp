// The plugin's configuration, parsed and checked from the host's config JSON.
#pragma once

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads {

enum class TokenPlacement { header, query };

struct Config {
  std::string graph_base_url = "https://graph.threads.net";
  std::string api_version = "v1.0";
  std::string oauth_base_url = "https://threads.net";
  TokenPlacement token_placement = TokenPlacement::header;
  std::string ca_file; // empty: the system CA store
};

// Parses `json` (empty means defaults). Errors name the offending key.
autohost::Result<Config> parse_config(std::string_view json);

// The effective configuration as a JSON object text.
std::string to_json(const Config &config);

} // namespace threads
