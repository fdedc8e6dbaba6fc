// The plugin's configuration, parsed and checked from the host's config JSON.
#pragma once

#include <autohost/result.hpp>

#include <string>
#include <string_view>

namespace threads {

enum class TokenPlacement { header, query };

// How long to wait for a media container to finish processing, per kind of post.
struct ContainerWait {
  double first_check_s = 0; // the docs suggest ~30 s for video before the first check
  double interval_s = 1;
  double budget_s = 60; // then the post is left resumable and retry_later is returned
  // How long publishing goes on while Threads answers 24/4279009 ("not ready yet") for a
  // FINISHED container, with pauses from interval_s doubling up to 15 s.
  double publish_budget_s = 30;
};

struct Config {
  std::string graph_base_url = "https://graph.threads.net";
  std::string api_version = "v1.0";
  std::string oauth_base_url = "https://threads.net";
  TokenPlacement token_placement = TokenPlacement::header;
  std::string ca_file; // empty: the system CA store
  // Meta advises ~30 s between creation and publish on average (more for media).
  ContainerWait text_wait{0, 1, 60, 30};
  ContainerWait image_wait{1, 3, 180, 60};
  ContainerWait video_wait{30, 10, 900, 120}; // also carousels that hold a video
  double request_timeout_s = 30;
  // A Retry-After hint up to this long is waited for inside the call (idempotent requests);
  // a longer one ends the call with rate_limited/retry_later and retry_after_s, so the
  // caller (the daemon) schedules the retry instead of a thread sleeping through it.
  double max_retry_wait_s = 5;
  // The refresh_tokens job refreshes a token once it expires within this many days (see
  // auth/refresh_policy.hpp for why 30), with at most this many requests in flight.
  double refresh_window_days = 30;
  int refresh_concurrency = 16;
};

// Parses `json` (empty means defaults). Errors name the offending key.
autohost::Result<Config> parse_config(std::string_view json);

// The effective configuration as a JSON object text.
std::string to_json(const Config &config);

} // namespace threads
