// Which secret keys a plugin may use: its own namespace plus what the operator granted.
#pragma once

#include <autohost/result.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace autohost::host {

enum class SecretAccess { read, write };

// Another namespace a plugin may use: keys under `space` + "/". `space` is a plugin name,
// optionally followed by deeper segments ("threads", "threads/apps").
struct SecretGrant {
  std::string space;
  bool write = true; // false: get and list only
  bool operator==(const SecretGrant &) const = default;
};

// Plugin name -> what it was granted (the config file's "secret_grants").
using SecretGrants = std::map<std::string, std::vector<SecretGrant>, std::less<>>;

// Why `name` cannot be a secret namespace ("" when it can): 1-64 of [A-Za-z0-9_-]. Anything
// else (a '/' above all) could reach into another plugin's keys.
std::string namespace_name_problem(std::string_view name);

// A grant as the config writes it: "NAMESPACE" (read and write) or "NAMESPACE:read". The
// error says what is wrong with `text`.
Result<SecretGrant> parse_secret_grant(std::string_view text);

// The keys one plugin may see: "<plugin name>/..." and its grants. The host's operator
// commands (`autohost secrets`) do not go through it.
class SecretScope {
public:
  SecretScope(std::string plugin, std::vector<SecretGrant> grants);

  // Done when the plugin may `access` `key`. A malformed key is invalid_input (code
  // "invalid_key"); a key outside the scope is invalid_input (code "outside_namespace")
  // whether or not it exists, naming the key, the plugin and the grant that would allow it.
  Result<Done> check(std::string_view key, SecretAccess access) const;

  // The key prefixes to list for `prefix` so that only readable keys come back: `prefix`
  // itself when all of it is readable, else the readable namespaces inside it.
  std::vector<std::string> list_prefixes(std::string_view prefix) const;

  const std::string &plugin() const noexcept { return plugin_; }

private:
  std::string plugin_;
  std::string name_problem_; // set when the plugin's name cannot be a namespace
  // Prefixes ending in '/', the plugin's own first.
  std::vector<std::string> readable_;
  std::vector<std::string> writable_;
};

} // namespace autohost::host
