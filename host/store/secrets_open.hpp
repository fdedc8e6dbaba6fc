// Opening the secret store's backend: the SQLite file (created on first use) or the
// PostgreSQL schema (migrated on first use), each checked against the master key.
#pragma once

#include "store/sql_secret_store.hpp"

namespace autohost::store {

struct OpenedSecrets {
  std::unique_ptr<sql::Backend> backend;
  MasterKey key;
};

// A path: creates the file when missing, upgrades an older format, checks the key.
Result<OpenedSecrets> open_sqlite_secrets(const SecretStoreOptions &options);

// A postgresql:// URL: applies the secrets component's migrations under the advisory lock,
// records the key's fingerprint on first use and refuses (AH_INTERNAL "store", nothing
// written) a key with another fingerprint.
Result<OpenedSecrets> open_pg_secrets(const SecretStoreOptions &options);

} // namespace autohost::store
