// The embedded secret store: one SQLite file, values sealed with the master key.
#include "store/sqlite_store.hpp"

#include "errors.hpp"
#include "store/store_files.hpp"
#include "store/store_format.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace autohost::store {
namespace fs = std::filesystem;
using host::make_error;

namespace {

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

std::string key_origin(const KeySource &source) {
  return source.env_value ? "AUTOHOST_MASTER_KEY" : source.key_file.string();
}

void remove_with_journals(const fs::path &file) {
  for (const char *suffix : {"", "-wal", "-shm", "-journal"})
    ::unlink((file.string() + suffix).c_str());
}

// Builds a complete store in a private temporary file and links it into place, so another
// process starting at the same moment either wins or finds a whole store; never an empty or
// half-initialised one. Losing the race is fine: the winner's store is used.
Result<Done> create_store(const SqliteStoreOptions &options) {
  const fs::path &file = options.file;
  AH_TRY(make_private_dirs(file.has_parent_path() ? file.parent_path() : fs::path(".")));
  AH_TRY_DECLARE(key, load_master_key(options.key, KeyCreation::allowed));
  const fs::path tmp = file.string() + ".new-" + std::to_string(::getpid());
  remove_with_journals(tmp); // left by a crashed process that had our pid
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return store_error(file, std::string("cannot be created: ") + std::strerror(errno));
  ::close(fd);
  Result<Done> built = Done{};
  {
    Database db(tmp, false);
    if (!db.ok())
      built = store_error(file, "cannot be created: " + db.failure().message);
    else
      built = bring_up_to_date(db, file, key, key_origin(options.key));
  }
  const int linked = built ? ::link(tmp.c_str(), file.c_str()) : 0;
  const int link_errno = errno;
  remove_with_journals(tmp);
  if (!built)
    return built;
  if (linked != 0 && link_errno != EEXIST) {
    return store_error(file, std::string("cannot be created: ") + std::strerror(link_errno));
  }
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
    : file_(std::move(file)), db_(std::move(db)), key_(std::move(key)) {}

SqliteStore::~SqliteStore() = default; // key_ wipes itself

Error SqliteStore::failure(std::string_view doing) {
  const SqliteFailure &f = db_->failure();
  if ((f.code & 0xff) == SQLITE_CORRUPT || (f.code & 0xff) == SQLITE_NOTADB) {
    return store_error(file_, "is corrupt (" + f.message + ") while " + std::string(doing) +
                                  "; restore it from a backup");
  }
  if ((f.code & 0xff) == SQLITE_FULL) {
    return make_error(AH_INTERNAL, "store_full",
                      "secret store " + file_.string() + " is on a full disk while " +
                          std::string(doing) +
                          "; nothing was written (free space on that disk and try again)");
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
  AH_TRY(check_not_writable_by_others(options.file));
  AH_TRY_DECLARE(state, probe_store_file(options.file, options.key.key_file));
  if (state == StoreFile::missing)
    AH_TRY(create_store(options));

  auto db = std::make_unique<Database>(options.file, false);
  if (!db->ok())
    return store_error(options.file, "cannot be opened: " + db->failure().message);
  sqlite3_busy_timeout(db->handle(), options.busy_timeout_ms);
  AH_TRY_DECLARE(layout, read_layout(*db, options.file));
  AH_TRY_DECLARE(key, load_master_key(options.key, layout.has_key_check ? KeyCreation::forbidden
                                                                        : KeyCreation::allowed));
  // A current store is only read here, so commands that only read work on a full disk.
  if (layout.current()) {
    AH_TRY(verify_key(*db, options.file, key, key_origin(options.key)));
  } else {
    AH_TRY(bring_up_to_date(*db, options.file, key, key_origin(options.key)));
  }
  // FULL sync makes every committed token rotation durable before we report it.
  if (!db->exec("PRAGMA synchronous=FULL"))
    return store_error(options.file, "cannot be configured: " + db->failure().message);
  return std::unique_ptr<SqliteStore>(new SqliteStore(options.file, std::move(db), std::move(key)));
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
  const auto version = static_cast<std::uint64_t>(select.column_int(0));
  auto plain = open_sealed(key_, select.column_blob(1), value_binding(key, version));
  if (!plain) {
    return make_error(AH_INTERNAL, "store_tampered",
                      "secret store " + file_.string() + " holds secret '" + std::string(key) +
                          "' (version " + std::to_string(version) +
                          ") but it cannot be decrypted: the stored value is corrupt, was "
                          "altered, or was rolled back to an older value; it was left untouched");
  }
  return std::optional<StoredSecret>{
      StoredSecret{std::move(*plain), version, select.column_int(2)}};
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
      .bind_blob(3, seal(key_, value, value_binding(key, counter + 1)))
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
