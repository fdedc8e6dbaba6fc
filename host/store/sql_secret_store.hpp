// The secret store on a SQL backend: an SQLite file or a PostgreSQL database, values sealed
// with the master key on the host.
#pragma once

#include "store/master_key.hpp"
#include "store/sealed_cache.hpp"
#include "store/secret_store.hpp"
#include "store/sql/backend.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace autohost::store {

// 'AHST' in the SQLite header tells an autohost store from any other SQLite file.
inline constexpr std::int64_t store_application_id = 0x41485354;

struct SecretStoreOptions {
  // A path (SQLite, created on first use) or a postgresql:// URL (see sql::open_backend).
  std::string location;
  KeySource key;
  int busy_timeout_ms = 15000;
  // SQLite only: read connections kept beside the writer's (sql::BackendOptions); 0 for a
  // command that makes one call, which then opens the file once instead of twice.
  std::size_t read_connections = sql::BackendOptions{}.read_connections;
  // SQLite only: how long a row read from the store may be answered again from memory
  // (still sealed) while no write of its key has finished (see SealedCache); 0 reads the
  // store every time (its writes are still signalled to other processes). Bounds how late a
  // write by a writer that does not signal is seen.
  std::chrono::milliseconds cache_lifetime{1000};
  // PostgreSQL only: take "now" from the caller instead of the database (tests).
  bool trust_caller_clock = false;
};

class SqlSecretStore final : public SecretStore {
public:
  // Opens or creates the store. A wrong master key, a corrupt file or a file that is not
  // an autohost store is an error naming the location; an existing store is never reset.
  static Result<std::unique_ptr<SqlSecretStore>> open(const SecretStoreOptions &options);

  Result<std::optional<StoredSecret>> get(std::string_view key) override;
  Result<std::vector<Result<std::optional<StoredSecret>>>>
  get_many(std::span<const std::string_view> keys) override;
  Result<std::uint64_t> version(std::string_view key) override;
  Result<WriteResult> put(std::string_view key, std::string_view value,
                          std::uint64_t expected_version) override;
  Result<std::vector<Result<WriteResult>>> put_many(std::span<const PutRequest> puts) override;
  Result<std::vector<SecretInfo>> list(std::string_view prefix) override;
  Result<WriteResult> remove(std::string_view key, std::uint64_t expected_version) override;

  // The location as given (a path) or redacted (a URL): safe to show.
  const std::string &location() const noexcept { return backend_->location(); }
  sql::Backend &backend() noexcept { return *backend_; }
  // Reads answered without the backend (0 when there is no cache).
  std::uint64_t cached_reads() const noexcept { return cache_ ? cache_->hits() : 0; }
  ~SqlSecretStore() override;

private:
  SqlSecretStore(std::unique_ptr<sql::Backend> backend, MasterKey key,
                 std::unique_ptr<SealedCache> cache);
  // The live row of `key` as stored (sealed), from the cache when it holds it; nullopt when
  // the key does not exist. A row read from the backend is kept for the next read.
  Result<std::optional<SealedRow>> row(std::string_view key);
  // row() for each key: the keys the cache does not hold are read in one read transaction
  // (its failure fails the whole call), and kept for the next read only when `keep`; a bad
  // key is refused alone.
  using RowAnswers = std::vector<Result<std::optional<SealedRow>>>;
  Result<RowAnswers> rows(std::span<const std::string_view> keys, bool keep);
  // The value of a row read for `key`, or store_tampered when it does not open.
  Result<StoredSecret> opened(std::string_view key, const SealedRow &row) const;
  // put's compare-and-set inside the caller's write transaction.
  WriteResult put_in(sql::Session &session, std::string_view key, std::string_view value,
                     std::uint64_t expected_version);

  std::unique_ptr<sql::Backend> backend_;
  MasterKey key_;
  std::unique_ptr<SealedCache> cache_; // null: every read goes to the backend
};

} // namespace autohost::store
