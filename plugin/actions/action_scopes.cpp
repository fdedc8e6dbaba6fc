// Which scopes each action needs (threads-api.md 1.9).
#include "actions/action_scopes.hpp"

#include <boost/json.hpp>

#include <array>
#include <utility>

namespace threads::actions {
namespace json = boost::json;

namespace {

constexpr std::string_view publish = "threads_content_publish";

// A reply (reply_to_id) and a location (location_id) need more than a plain post.
std::vector<std::string_view> post_scopes(std::string_view input_json) {
  std::vector<std::string_view> needed{publish};
  boost::system::error_code ec;
  const json::value input = json::parse(input_json, ec);
  if (ec || !input.is_object())
    return needed;
  if (input.as_object().contains("reply_to_id"))
    needed.emplace_back("threads_manage_replies");
  if (input.as_object().contains("location_id"))
    needed.emplace_back("threads_location_tagging");
  return needed;
}

} // namespace

std::vector<std::string_view> scopes_needed(std::string_view action, std::string_view input_json) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> table{{
      {"repost", publish},
      {"replies", "threads_read_replies"},
      {"conversation", "threads_read_replies"},
      {"hide_reply", "threads_manage_replies"},
      {"insights", "threads_manage_insights"},
      {"mentions", "threads_manage_mentions"},
      {"search", "threads_keyword_search"},
      {"delete", "threads_delete"},
  }};
  if (action == "post")
    return post_scopes(input_json);
  // It reads the reply and delete quotas too, whose fields need their own scopes (2.6).
  if (action == "publishing_limit")
    return {publish, "threads_manage_replies", "threads_delete"};
  for (const auto &[name, scope] : table) {
    if (name == action)
      return {scope};
  }
  return {};
}

} // namespace threads::actions
