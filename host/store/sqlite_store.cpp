// The embedded secret store: one SQLite file, values sealed with the master key.
#include "store/sqlite_store.hpp"

#include "errors.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

namespace autohost::store {
namespace fs = std::filesystem;
using host::make_error;

namespace {

constexpr std::string_view key_check_plain = "autohost secret store key check v1";
constexpr std::string_view key_check_name = "meta:key_check";

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value ANY NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS secrets (
  key TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  sealed BLOB,               -- NULL: deleted; the row keeps the version counter
  updated_ms INTEGER NOT NULL
) STRICT;
)sql";

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Error store_error(const fs::path &file, std::string_view what) {
  return make_error(AH_INTERNAL, "store",
                    "secret store " + file.string() + " " + std::string(what));
}

bool key_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '@' || c == '+' || c == '-';
}

// Creates the store file before SQLite does. Sealed values are useless without the key, but
// the file (and the -wal/-shm files SQLite derives from its mode) should still be private.
void create_private_file(const fs::path &file) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    ::close(fd);
}

// Refuses a file that is not an autohost store (or is corrupt) before anything is written
// to it; true when the store already holds a key check.
Result<bool> check_existing(Database &db, const fs::path &file, bool existed) {
  std::int64_t app_id = 0;
  {
    Statement read_id(db, "PRAGMA application_id");
    if (read_id.step())
      app_id = read_id.column_int(0);
  }
  if (!db.ok()) {
    return store_error(file, "is corrupt or not an SQLite database (" + db.failure().message +
                                 "); it was left untouched");
  }
  if (!existed)
    return false;
  Statement tables(db, "SELECT count(*) FROM sqlite_schema");
  const std::int64_t table_count = tables.step() ? tables.column_int(0) : -1;
  if (!db.ok())
    return store_error(file, "is corrupt (" + db.failure().message + "); it was left untouched");
  if (app_id != store_application_id && table_count != 0) {
    return store_error(file,
                       "is an SQLite database but not an autohost store; it was left untouched");
  }
  if (app_id != store_application_id)
    return false;
  Statement check(db, "SELECT 1 FROM meta WHERE name = 'key_check'");
  const bool has_key_check = check.step();
  if (!db.ok())
    return store_error(file, "is corrupt (" + db.failure().message + "); it was left untouched");
  return has_key_check;
}

// Creates the tables if needed and checks `key` against the stored key check, writing one
// when there is none.
Result<Done> initialise(Database &db, const SqliteStoreOptions &options, const MasterKey &key) {
  Transaction tx(db);
  if (!tx.begun() || !db.exec(schema) ||
      !db.exec("PRAGMA application_id = " + std::to_string(store_application_id))) {
    return store_error(options.file, "cannot be initialised: " + db.failure().message);
  }
  Statement check(db, "SELECT value FROM meta WHERE name = 'key_check'");
  if (check.step()) {
    if (!open_sealed(key, check.column_blob(0), key_check_name)) {
      return store_error(options.file,
                         "does not match the master key (" +
                             std::string(options.key.env_value ? "AUTOHOST_MASTER_KEY"
                                                               : options.key.key_file.string()) +
                             " is not the key the store was created with)");
    }
  } else if (db.ok()) {
    Statement insert(db, "INSERT INTO meta(name, value) VALUES ('key_check', ?), "
                         "('schema_version', '1')");
    insert.bind_blob(1, seal(key, key_check_plain, key_check_name)).step();
  }
  if (!db.ok() || !tx.commit())
    return store_error(options.file, "cannot be initialised: " + db.failure().message);
  return Done{};
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

SqliteStore::SqliteStore(fs::path file, std::unique_ptr<Database> db, MasterKey key)
    : file_(std::move(file)), db_(std::move(db)), key_(key) {}

SqliteStore::~SqliteStore() { sodium_memzero(key_.data(), key_.size()); }

Error SqliteStore::failure(std::string_view doing) {
  const SqliteFailure &f = db_->failure();
  if ((f.code & 0xff) == SQLITE_CORRUPT || (f.code & 0xff) == SQLITE_NOTADB) {
    return store_error(file_, "is corrupt (" + f.message + ") while " + std::string(doing) +
                                  "; restore it from a backup");
  }
  if ((f.code & 0xff) == SQLITE_BUSY) {
    return make_error(AH_RETRY_LATER, "store_busy",
                      "secret store " + file_.string() + " is busy (locked by another process) " +
                          "while " + std::string(doing));
  }
  return store_error(file_, "failed while " + std::string(doing) + ": " + f.message);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteStoreOptions &options) {
  if (!sodium_ready())
    return store_error(options.file, "cannot be used: libsodium failed to initialise");
  if (options.key.env_value) {
    // A malformed key in the environment is reported before the file is touched.
    AH_TRY(load_master_key(options.key, KeyCreation::forbidden));
  }
  std::error_code ec;
  if (fs::is_directory(options.file, ec))
    return store_error(options.file, "is a directory");
  const bool existed = fs::exists(options.file, ec) && fs::file_size(options.file, ec) > 0;
  if (!existed)
    create_private_file(options.file);

  auto db = std::make_unique<Database>(options.file, true);
  if (!db->ok())
    return store_error(options.file, "cannot be opened: " + db->failure().message);
  sqlite3_busy_timeout(db->handle(), options.busy_timeout_ms);
  AH_TRY_DECLARE(has_key_check, check_existing(*db, options.file, existed));

  // WAL lets readers in other processes proceed while one writes; FULL sync makes every
  // committed token rotation durable before we report it.
  if (!db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")) {
    return store_error(options.file, "cannot switch to WAL mode: " + db->failure().message);
  }
  AH_TRY_DECLARE(key, load_master_key(options.key, has_key_check ? KeyCreation::forbidden
                                                                 : KeyCreation::allowed));
  AH_TRY(initialise(*db, options, key));
  return std::unique_ptr<SqliteStore>(new SqliteStore(options.file, std::move(db), key));
}

Result<std::optional<StoredSecret>> SqliteStore::get(std::string_view key) {
  AH_TRY(validate_key(key));
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  Statement select(*db_, "SELECT version, sealed, updated_ms FROM secrets "
                         "WHERE key = ? AND sealed IS NOT NULL");
  select.bind(1, key);
  if (!select.step()) {
    if (!db_->ok())
      return failure("reading '" + std::string(key) + "'");
    return std::optional<StoredSecret>{};
  }
  auto plain = open_sealed(key_, select.column_blob(1), key);
  if (!plain) {
    return store_error(file_,
                       "holds secret '" + std::string(key) +
                           "' but it cannot be decrypted: the stored value is corrupt or was "
                           "altered; it was left untouched");
  }
  return std::optional<StoredSecret>{StoredSecret{
      std::move(*plain), static_cast<std::uint64_t>(select.column_int(0)), select.column_int(2)}};
}

std::optional<WriteResult> SqliteStore::put_in_transaction(std::string_view key,
                                                           std::string_view value,
                                                           std::uint64_t expected_version) {
  Statement select(*db_, "SELECT version, sealed IS NULL FROM secrets WHERE key = ?");
  select.bind(1, key);
  std::uint64_t counter = 0; // survives deletes
  std::uint64_t current = 0; // 0 when no live value
  if (select.step()) {
    counter = static_cast<std::uint64_t>(select.column_int(0));
    current = select.column_int(1) != 0 ? 0 : counter;
  }
  if (!db_->ok())
    return std::nullopt;
  if (expected_version != AH_VERSION_ANY && expected_version != current) {
    return WriteResult{WriteOutcome::conflict, current};
  }
  Statement upsert(*db_,
                   "INSERT INTO secrets(key, version, sealed, updated_ms) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET version = excluded.version, "
                   "sealed = excluded.sealed, updated_ms = excluded.updated_ms");
  upsert.bind(1, key)
      .bind(2, static_cast<std::int64_t>(counter + 1))
      .bind_blob(3, seal(key_, value, key))
      .bind(4, wall_ms())
      .step();
  if (!db_->ok())
    return std::nullopt;
  return WriteResult{WriteOutcome::written, counter + 1};
}

Result<WriteResult> SqliteStore::put(std::string_view key, std::string_view value,
                                     std::uint64_t expected_version) {
  AH_TRY(validate_key(key));
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  const std::string doing = "writing '" + std::string(key) + "'";
  Transaction tx(*db_);
  if (!tx.begun())
    return failure(doing);
  auto written = put_in_transaction(key, value, expected_version);
  if (!written)
    return failure(doing);
  if (written->outcome == WriteOutcome::conflict)
    return *written; // rolled back: nothing changed
  if (!tx.commit())
    return failure(doing);
  return *written;
}

Result<std::vector<Result<WriteResult>>> SqliteStore::put_many(std::span<const PutRequest> puts) {
  std::vector<Result<WriteResult>> results;
  results.reserve(puts.size());
  if (puts.empty())
    return results;
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  const std::string doing = "writing a batch of " + std::to_string(puts.size()) + " secrets";
  Transaction tx(*db_);
  if (!tx.begun())
    return failure(doing);
  for (const PutRequest &put : puts) {
    if (auto valid = validate_key(put.key); !valid) {
      results.emplace_back(std::move(valid).error());
      continue;
    }
    auto written = put_in_transaction(put.key, put.value, put.expected_version);
    if (!written)
      return failure(doing + " (at '" + std::string(put.key) + "')");
    results.emplace_back(*written);
  }
  if (!tx.commit())
    return failure(doing);
  return results;
}

Result<std::vector<SecretInfo>> SqliteStore::list(std::string_view prefix) {
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  Statement select(*db_, "SELECT key, version, updated_ms FROM secrets "
                         "WHERE sealed IS NOT NULL AND substr(key, 1, ?) = ? ORDER BY key");
  select.bind(1, static_cast<std::int64_t>(prefix.size())).bind(2, prefix);
  std::vector<SecretInfo> out;
  while (select.step()) {
    out.push_back(SecretInfo{select.column_text(0),
                             static_cast<std::uint64_t>(select.column_int(1)),
                             select.column_int(2)});
  }
  if (!db_->ok())
    return failure("listing secrets");
  return out;
}

Result<WriteResult> SqliteStore::remove(std::string_view key, std::uint64_t expected_version) {
  AH_TRY(validate_key(key));
  std::lock_guard lock(mutex_);
  db_->clear_failure();
  const std::string doing = "removing '" + std::string(key) + "'";
  Transaction tx(*db_);
  if (!tx.begun())
    return failure(doing);
  Statement select(*db_, "SELECT version FROM secrets WHERE key = ? AND sealed IS NOT NULL");
  select.bind(1, key);
  if (!select.step()) {
    if (!db_->ok())
      return failure(doing);
    return make_error(AH_NOT_FOUND, "not_found",
                      "secret '" + std::string(key) + "' does not exist");
  }
  const auto current = static_cast<std::uint64_t>(select.column_int(0));
  if (expected_version != AH_VERSION_ANY && expected_version != current) {
    return WriteResult{WriteOutcome::conflict, current};
  }
  Statement tombstone(*db_, "UPDATE secrets SET sealed = NULL, version = version + 1, "
                            "updated_ms = ? WHERE key = ?");
  tombstone.bind(1, wall_ms()).bind(2, key).step();
  if (!db_->ok() || !tx.commit())
    return failure(doing);
  return WriteResult{WriteOutcome::written, 0};
}

} // namespace autohost::store
