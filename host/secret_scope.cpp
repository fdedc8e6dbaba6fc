// Per-plugin secret namespaces: the checks behind every secret call a plugin makes.
#include "secret_scope.hpp"

#include "errors.hpp"
#include "store/secret_store.hpp"

#include <algorithm>

namespace autohost::host {

namespace {

constexpr std::size_t max_namespace_name = 64;
constexpr std::string_view read_suffix = ":read";

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Deeper segments may hold what keys hold (account names like "bob@example"), but not ':',
// which ends the namespace in a grant's text.
bool segment_char(char c) { return name_char(c) || c == '.' || c == '@' || c == '+'; }

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string space_problem(std::string_view space) {
  const auto slash = space.find('/');
  if (std::string problem = namespace_name_problem(space.substr(0, slash)); !problem.empty())
    return problem;
  if (slash == std::string_view::npos)
    return {};
  std::string_view rest = space.substr(slash + 1);
  while (true) {
    const auto next = rest.find('/');
    const std::string_view segment = rest.substr(0, next);
    if (segment.empty())
      return "it has an empty segment (no '//' and no '/' at the end)";
    if (!std::all_of(segment.begin(), segment.end(), segment_char))
      return "segment '" + std::string(segment) + "' may hold only A-Z a-z 0-9 _ - . @ +";
    if (next == std::string_view::npos)
      return {};
    rest = rest.substr(next + 1);
  }
}

} // namespace

std::string namespace_name_problem(std::string_view name) {
  if (name.empty() || name.size() > max_namespace_name)
    return "a namespace is 1-" + std::to_string(max_namespace_name) + " characters";
  if (!std::all_of(name.begin(), name.end(), name_char))
    return "'" + std::string(name) + "' may hold only A-Z a-z 0-9 _ -";
  return {};
}

Result<SecretGrant> parse_secret_grant(std::string_view text) {
  SecretGrant grant;
  std::string_view space = text;
  if (space.size() > read_suffix.size() &&
      space.substr(space.size() - read_suffix.size()) == read_suffix) {
    space.remove_suffix(read_suffix.size());
    grant.write = false;
  }
  if (std::string problem = space_problem(space); !problem.empty()) {
    return make_error(
        AH_INVALID_INPUT, "config",
        "'" + std::string(text) +
            "' is not a namespace (NAME, NAME/PATH, or either with ':read'): " + problem);
  }
  grant.space = std::string(space);
  return grant;
}

SecretScope::SecretScope(std::string plugin, std::vector<SecretGrant> grants)
    : plugin_(std::move(plugin)), name_problem_(namespace_name_problem(plugin_)) {
  if (name_problem_.empty()) {
    readable_.push_back(plugin_ + "/");
    writable_.push_back(plugin_ + "/");
  }
  for (auto &grant : grants) {
    readable_.push_back(grant.space + "/");
    if (grant.write)
      writable_.push_back(grant.space + "/");
  }
}

Result<Done> SecretScope::check(std::string_view key, SecretAccess access) const {
  AH_TRY(store::validate_key(key));
  const auto &allowed = access == SecretAccess::read ? readable_ : writable_;
  const bool inside = std::any_of(allowed.begin(), allowed.end(),
                                  [&](const std::string &ns) { return starts_with(key, ns); });
  if (inside)
    return Done{};
  const std::string verb = access == SecretAccess::read ? "read" : "write";
  std::string why;
  if (!name_problem_.empty()) {
    why = "its name cannot be a secret namespace (" + name_problem_ + "), so it has none";
  } else {
    why = "a plugin uses keys under '" + plugin_ + "/' and what the config file's " +
          "secret_grants give it";
  }
  const auto slash = key.find('/');
  const std::string space(key.substr(0, slash));
  std::string hint;
  if (slash != std::string_view::npos && namespace_name_problem(space).empty()) {
    hint = " (to allow it: \"secret_grants\": {\"" + plugin_ + "\": [\"" + space +
           (access == SecretAccess::read ? ":read" : "") + "\"]})";
  }
  return make_error(AH_INVALID_INPUT, "outside_namespace",
                    "plugin '" + plugin_ + "' may not " + verb + " secret '" + std::string(key) +
                        "': " + why + hint);
}

std::vector<std::string> SecretScope::list_prefixes(std::string_view prefix) const {
  std::vector<std::string> out;
  for (const auto &ns : readable_) {
    if (starts_with(prefix, ns))
      return {std::string(prefix)};
    if (starts_with(ns, prefix))
      out.push_back(ns);
  }
  // Sorted, a namespace inside another one comes right after it: drop it, so no key is
  // listed twice.
  std::sort(out.begin(), out.end());
  std::vector<std::string> outermost;
  for (auto &ns : out) {
    if (outermost.empty() || !starts_with(ns, outermost.back()))
      outermost.push_back(std::move(ns));
  }
  return outermost;
}

} // namespace autohost::host
