// The secret store on a SQL backend: choosing the backend and the versioned compare-and-set
// on its `secrets` table, written once for SQLite and PostgreSQL.
#include "store/sql_secret_store.hpp"

#include "errors.hpp"
#include "store/secrets_open.hpp"
#include "store/store_format.hpp"

namespace autohost::store {
using host::make_error;

namespace {

bool key_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '@' || c == '+' || c == '-';
}

std::int64_t now_ms(sql::Session &session) { return session.now().time_since_epoch().count(); }

std::optional<SealedRow> select_row(sql::Session &session, std::string_view key) {
  sql::Statement select(session, "SELECT version, sealed, updated_ms FROM secrets "
                                 "WHERE key = ?1 AND sealed IS NOT NULL");
  select.bind(1, key);
  if (!select.step())
    return std::nullopt;
  return SealedRow{static_cast<std::uint64_t>(select.column_int(0)), select.column_blob(1),
                   select.column_int(2)};
}

} // namespace

Result<Done> validate_key(std::string_view key) {
  if (key.empty())
    return make_error(AH_INVALID_INPUT, "invalid_key", "secret key is empty");
  if (key.size() > 256) {
    return make_error(AH_INVALID_INPUT, "invalid_key",
                      "secret key '" + std::string(key.substr(0, 64)) +
                          "...' is longer than 256 bytes");
  }
  if (key.front() == '/') {
    return make_error(AH_INVALID_INPUT, "invalid_key",
                      "secret key '" + std::string(key) + "' must not start with '/'");
  }
  for (char c : key) {
    if (!key_char_ok(c)) {
      return make_error(AH_INVALID_INPUT, "invalid_key",
                        "secret key '" + std::string(key) +
                            "' may only contain letters, digits and . _ : / @ + -");
    }
  }
  return Done{};
}

SqlSecretStore::SqlSecretStore(std::unique_ptr<sql::Backend> backend, MasterKey key,
                               std::unique_ptr<SealedCache> cache)
    : backend_(std::move(backend)), key_(std::move(key)), cache_(std::move(cache)) {}

SqlSecretStore::~SqlSecretStore() = default; // key_ wipes itself

Result<std::unique_ptr<SqlSecretStore>> SqlSecretStore::open(const SecretStoreOptions &options) {
  if (!sodium_ready()) {
    return make_error(AH_INTERNAL, "store",
                      "secret store cannot be used: libsodium failed to initialise");
  }
  const bool postgres = sql::is_postgres_location(options.location);
  AH_TRY_DECLARE(opened, postgres ? open_pg_secrets(options) : open_sqlite_secrets(options));
  // Only processes of this machine share the counters, so a PostgreSQL store has no cache.
  std::unique_ptr<SealedCache> cache;
  std::error_code ec;
  if (!postgres) {
    const auto file = std::filesystem::canonical(options.location, ec);
    if (!ec)
      cache = SealedCache::open(file, options.cache_lifetime);
  }
  return std::unique_ptr<SqlSecretStore>(
      new SqlSecretStore(std::move(opened.backend), std::move(opened.key), std::move(cache)));
}

Result<std::optional<SealedRow>> SqlSecretStore::row(std::string_view key) {
  AH_TRY_DECLARE(answers, rows({&key, 1}, true));
  return std::move(answers.front());
}

Result<SqlSecretStore::RowAnswers> SqlSecretStore::rows(std::span<const std::string_view> keys,
                                                        bool keep) {
  keep = keep && cache_;
  RowAnswers out;
  out.reserve(keys.size());
  std::vector<std::optional<std::uint64_t>> stamps(keys.size()); // set: read below
  std::size_t to_read = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (auto valid = validate_key(keys[i]); !valid) {
      out.emplace_back(std::move(valid).error());
    } else if (auto kept = cache_ ? cache_->find(keys[i]) : std::nullopt) {
      out.emplace_back(std::move(kept));
    } else {
      out.emplace_back(std::optional<SealedRow>{});
      stamps[i] = keep ? cache_->stamp(keys[i]) : 0; // taken before the read
      ++to_read;
    }
  }
  if (to_read == 0)
    return out;
  const std::string doing = keys.size() == 1 ? "reading '" + std::string(keys.front()) + "'"
                                             : "reading " + std::to_string(to_read) + " secrets";
  AH_TRY(backend_->read(doing, [&](sql::Session &s) -> Result<Done> {
    for (std::size_t i = 0; i < keys.size() && s.ok(); ++i) {
      if (stamps[i])
        out[i] = select_row(s, keys[i]);
    }
    return Done{};
  }));
  for (std::size_t i = 0; keep && i < keys.size(); ++i) {
    if (stamps[i] && *out[i])
      cache_->keep(keys[i], *stamps[i], **out[i]);
  }
  return out;
}

Result<std::uint64_t> SqlSecretStore::version(std::string_view key) {
  // No key check first: a bad key is never kept, so it misses here and row() refuses it.
  if (const auto kept = cache_ ? cache_->find_version(key) : std::nullopt)
    return *kept;
  AH_TRY_DECLARE(found, row(key));
  return found ? found->version : 0;
}

Result<StoredSecret> SqlSecretStore::opened(std::string_view key, const SealedRow &row) const {
  auto plain = open_sealed(key_, row.sealed, value_binding(key, row.version));
  if (!plain) {
    return make_error(AH_INTERNAL, "store_tampered",
                      "secret store " + location() + " holds secret '" + std::string(key) +
                          "' (version " + std::to_string(row.version) +
                          ") but it cannot be decrypted: the stored value is corrupt, was "
                          "altered, or was rolled back to an older value; it was left untouched");
  }
  return StoredSecret{std::move(*plain), row.version, row.updated_ms};
}

Result<std::optional<StoredSecret>> SqlSecretStore::get(std::string_view key) {
  AH_TRY_DECLARE(row, this->row(key));
  if (!row)
    return std::optional<StoredSecret>{};
  AH_TRY_DECLARE(secret, opened(key, *row));
  return std::optional<StoredSecret>{std::move(secret)};
}

Result<std::vector<Result<std::optional<StoredSecret>>>>
SqlSecretStore::get_many(std::span<const std::string_view> keys) {
  // A batch keeps none of the rows it read: batches are sweeps, whose rows are rewritten
  // next (a claim), and keeping them would push out the rows that single reads come back
  // for (the cache holds 1,024).
  AH_TRY_DECLARE(answers, rows(keys, false));
  std::vector<Result<std::optional<StoredSecret>>> out;
  out.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto &row = answers[i];
    if (!row) {
      out.emplace_back(std::move(row).error());
    } else if (!row.value()) {
      out.emplace_back(std::optional<StoredSecret>{});
    } else if (auto secret = opened(keys[i], *row.value())) {
      out.emplace_back(std::optional<StoredSecret>{std::move(secret).value()});
    } else {
      out.emplace_back(std::move(secret).error());
    }
  }
  return out;
}

WriteResult SqlSecretStore::put_in(sql::Session &session, std::string_view key,
                                   std::string_view value, std::uint64_t expected_version) {
  if (expected_version != AH_VERSION_ANY && expected_version != 0) {
    // The usual case, a live secret replaced at the version its writer read: one statement
    // that writes only if that version is still stored. Otherwise (a conflict, or no live
    // value) nothing changed, and the general path below says which.
    const std::uint64_t next = expected_version + 1;
    sql::Statement update(session, "UPDATE secrets SET version = ?2, sealed = ?3, updated_ms = ?4 "
                                   "WHERE key = ?1 AND version = ?5 AND sealed IS NOT NULL");
    update.bind(1, key)
        .bind(2, static_cast<std::int64_t>(next))
        .bind_blob(3, seal(key_, value, value_binding(key, next)))
        .bind(4, now_ms(session))
        .bind(5, static_cast<std::int64_t>(expected_version))
        .step();
    if (!session.ok() || update.changes() == 1)
      return WriteResult{WriteOutcome::written, next}; // on failure the Backend reports it
  }
  sql::Statement select(session, "SELECT version, sealed IS NULL FROM secrets WHERE key = ?1");
  select.bind(1, key);
  std::uint64_t counter = 0; // survives deletes
  std::uint64_t current = 0; // 0 when no live value
  if (select.step()) {
    counter = static_cast<std::uint64_t>(select.column_int(0));
    current = select.column_int(1) != 0 ? 0 : counter;
  }
  if (expected_version != AH_VERSION_ANY && expected_version != current)
    return WriteResult{WriteOutcome::conflict, current};
  sql::Statement upsert(session, "INSERT INTO secrets(key, version, sealed, updated_ms) "
                                 "VALUES (?1, ?2, ?3, ?4) "
                                 "ON CONFLICT(key) DO UPDATE SET version = excluded.version, "
                                 "sealed = excluded.sealed, updated_ms = excluded.updated_ms");
  upsert.bind(1, key)
      .bind(2, static_cast<std::int64_t>(counter + 1))
      .bind_blob(3, seal(key_, value, value_binding(key, counter + 1)))
      .bind(4, now_ms(session))
      .step();
  return WriteResult{WriteOutcome::written, counter + 1};
}

Result<WriteResult> SqlSecretStore::put(std::string_view key, std::string_view value,
                                        std::uint64_t expected_version) {
  AH_TRY(validate_key(key));
  auto written = backend_->write("writing '" + std::string(key) + "'",
                                 [&](sql::Session &s) -> Result<WriteResult> {
                                   return put_in(s, key, value, expected_version);
                                 });
  if (cache_)
    cache_->changed(key);
  return written;
}

Result<std::vector<Result<WriteResult>>>
SqlSecretStore::put_many(std::span<const PutRequest> puts) {
  using Results = std::vector<Result<WriteResult>>;
  if (puts.empty())
    return Results{};
  const std::string doing = "writing a batch of " + std::to_string(puts.size()) + " secrets";
  auto written = backend_->write(doing, [&](sql::Session &s) -> Result<Results> {
    Results results;
    results.reserve(puts.size());
    for (const PutRequest &put : puts) {
      if (auto valid = validate_key(put.key); !valid) {
        results.emplace_back(std::move(valid).error());
        continue;
      }
      s.at("at '" + std::string(put.key) + "'");
      results.emplace_back(put_in(s, put.key, put.value, put.expected_version));
      if (!s.ok())
        break; // the backend reports the failure; nothing is written
    }
    return results;
  });
  if (cache_) {
    for (const PutRequest &put : puts)
      cache_->changed(put.key);
  }
  return written;
}

Result<std::vector<SecretInfo>> SqlSecretStore::list(std::string_view prefix) {
  using Infos = std::vector<SecretInfo>;
  return backend_->read("listing secrets", [&](sql::Session &s) -> Result<Infos> {
    sql::Statement select(s, "SELECT key, version, updated_ms FROM secrets "
                             "WHERE sealed IS NOT NULL AND substr(key, 1, CAST(?1 AS INTEGER)) "
                             "= ?2 ORDER BY key");
    select.bind(1, static_cast<std::int64_t>(prefix.size())).bind(2, prefix);
    Infos out;
    while (select.step()) {
      out.push_back(SecretInfo{select.column_text(0),
                               static_cast<std::uint64_t>(select.column_int(1)),
                               select.column_int(2)});
    }
    return out;
  });
}

Result<WriteResult> SqlSecretStore::remove(std::string_view key, std::uint64_t expected_version) {
  AH_TRY(validate_key(key));
  auto removed = backend_->write(
      "removing '" + std::string(key) + "'", [&](sql::Session &s) -> Result<WriteResult> {
        sql::Statement select(s,
                              "SELECT version FROM secrets WHERE key = ?1 AND sealed IS NOT NULL");
        select.bind(1, key);
        if (!select.step()) {
          if (!s.ok())
            return WriteResult{};
          return make_error(AH_NOT_FOUND, "not_found",
                            "secret '" + std::string(key) + "' does not exist");
        }
        const auto current = static_cast<std::uint64_t>(select.column_int(0));
        if (expected_version != AH_VERSION_ANY && expected_version != current)
          return WriteResult{WriteOutcome::conflict, current};
        sql::Statement tombstone(s, "UPDATE secrets SET sealed = NULL, version = version + 1, "
                                    "updated_ms = ?1 WHERE key = ?2");
        tombstone.bind(1, now_ms(s)).bind(2, key).step();
        return WriteResult{WriteOutcome::written, 0};
      });
  if (cache_)
    cache_->changed(key);
  return removed;
}

} // namespace autohost::store
