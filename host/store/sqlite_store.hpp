// The embedded secret store: one SQLite file, values sealed with the master key.
#pragma once

#include "store/master_key.hpp"
#include "store/secret_store.hpp"
#include "store/sqlite.hpp"

#include <filesystem>
#include <memory>
#include <mutex>

namespace autohost::store {

// 'AHST' in the SQLite header tells an autohost store from any other SQLite file.
inline constexpr std::int64_t store_application_id = 0x41485354;

struct SqliteStoreOptions {
  std::filesystem::path file;
  KeySource key;
  int busy_timeout_ms = 15000;
};

class SqliteStore final : public SecretStore {
public:
  // Opens or creates the store. A wrong master key, a corrupt file or a file that is not
  // an autohost store is an error naming the file; an existing file is never reset.
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteStoreOptions &options);

  Result<std::optional<StoredSecret>> get(std::string_view key) override;
  Result<WriteResult> put(std::string_view key, std::string_view value,
                          std::uint64_t expected_version) override;
  Result<std::vector<Result<WriteResult>>> put_many(std::span<const PutRequest> puts) override;
  Result<std::vector<SecretInfo>> list(std::string_view prefix) override;
  Result<WriteResult> remove(std::string_view key, std::uint64_t expected_version) override;

  const std::filesystem::path &file() const noexcept { return file_; }
  ~SqliteStore() override;

private:
  SqliteStore(std::filesystem::path file, std::unique_ptr<Database> db, MasterKey key);
  Error failure(std::string_view doing);
  // put's compare-and-set inside the caller's transaction (and mutex); nullopt when SQLite
  // failed (see failure()).
  std::optional<WriteResult> put_in_transaction(std::string_view key, std::string_view value,
                                                std::uint64_t expected_version);

  std::filesystem::path file_;
  std::unique_ptr<Database> db_;
  MasterKey key_;
  std::mutex mutex_; // one connection, one transaction at a time
};

} // namespace autohost::store
