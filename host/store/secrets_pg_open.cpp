// Opening the secret store on PostgreSQL: its schema (migrated under the advisory lock) and
// the master key's fingerprint, which every host of one store must match.
#include "store/secrets_open.hpp"

#include "errors.hpp"
#include "store/sql/schema.hpp"

#include <sodium.h>

#include <array>

namespace autohost::store {
using host::make_error;

namespace {

// Values keep store format 2 (sealed bound to key name and version), so a sealed value
// means the same on SQLite and PostgreSQL. `secrets_key` holds one row: the fingerprint.
constexpr std::string_view secrets_v1 = R"sql(
CREATE TABLE secrets (
  key TEXT PRIMARY KEY,
  version BIGINT NOT NULL,
  sealed BYTEA,              -- NULL: deleted; the row keeps the version counter
  updated_ms BIGINT NOT NULL
);
CREATE TABLE secrets_key (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  fingerprint BYTEA NOT NULL
);
)sql";

constexpr std::array migrations{sql::Migration{1, secrets_v1}};

// BLAKE2b keyed with the master key over a fixed text: equal for equal keys, and without the
// key it tells nothing about it.
std::string fingerprint(const MasterKey &key) {
  constexpr std::string_view label = "autohost secret store key fingerprint v1";
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char *>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char *>(label.data()), label.size(),
                     key.data(), key.size());
  return out;
}

// Whether the store already records a fingerprint (read only: to decide whether a missing
// key file may be created).
Result<bool> has_fingerprint(sql::Backend &backend) {
  return backend.read("reading the key fingerprint", [](sql::Session &s) -> Result<bool> {
    sql::Statement table(s, "SELECT to_regclass('secrets_key') IS NOT NULL");
    if (!table.step() || table.column_int(0) == 0)
      return false;
    sql::Statement row(s, "SELECT count(*) FROM secrets_key");
    return row.step() && row.column_int(0) > 0;
  });
}

} // namespace

Result<OpenedSecrets> open_pg_secrets(const SecretStoreOptions &options) {
  if (options.key.env_value) // a malformed key is reported before the server is contacted
    AH_TRY(load_master_key(options.key, KeyCreation::forbidden));
  sql::BackendOptions backend_options;
  backend_options.noun = "secret store";
  backend_options.trust_caller_clock = options.trust_caller_clock;
  AH_TRY_DECLARE(backend, sql::open_backend(options.location, backend_options));
  AH_TRY_DECLARE(bound, has_fingerprint(*backend));
  AH_TRY_DECLARE(
      key, load_master_key(options.key, bound ? KeyCreation::forbidden : KeyCreation::allowed));
  const std::string mine = fingerprint(key);
  const std::string origin = options.key.origin();
  sql::Backend &b = *backend;
  AH_TRY(sql::migrate(b, "secrets", migrations, [&](sql::Session &s) -> Result<Done> {
    sql::Statement read(s, "SELECT fingerprint FROM secrets_key WHERE id = 1");
    if (read.step()) {
      if (read.column_blob(0) != mine)
        return b.store_error("does not match the master key (" + origin +
                             " is not the key the store was created with)");
      return Done{};
    }
    sql::Statement insert(s, "INSERT INTO secrets_key(id, fingerprint) VALUES (1, ?1)");
    insert.bind_blob(1, mine).step();
    return Done{};
  }));
  return OpenedSecrets{std::move(backend), std::move(key)};
}

} // namespace autohost::store
