// Finding, parsing and creating the master key that encrypts the secret store.
#pragma once

#include "store/sealing.hpp"

#include <autohost/result.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace autohost::store {

enum class KeyCreation { allowed, forbidden };

struct KeySource {
  // The value of AUTOHOST_MASTER_KEY when set: 64 hex digits or base64 of 32 bytes.
  std::optional<std::string> env_value;
  // Used when env_value is unset; created 0600 on first use when creation is allowed.
  std::filesystem::path key_file;

  // Where the key comes from, for errors: the variable's name or the key file's path.
  std::string origin() const { return env_value ? "AUTOHOST_MASTER_KEY" : key_file.string(); }
};

// The key, or an error that names the variable or file at fault (never the key itself).
Result<MasterKey> load_master_key(const KeySource &source, KeyCreation creation);

} // namespace autohost::store
