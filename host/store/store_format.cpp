// The store's on-disk format: tables, key check, value binding, upgrades from older formats.
#include "store/store_format.hpp"

#include "errors.hpp"
#include "store/sql_secret_store.hpp"

#include <sodium.h>

#include <chrono>
#include <thread>
#include <vector>

namespace autohost::store {
namespace fs = std::filesystem;
using host::make_error;

namespace {

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

// Each format has its own key check, bound to the format, so a store cannot be passed off
// as an older format (whose values would open without their version) by editing `meta`.
constexpr std::string_view key_check_v1_plain = "autohost secret store key check v1";
constexpr std::string_view key_check_v1_name = "meta:key_check";
constexpr std::string_view key_check_plain = "autohost secret store key check v2";
constexpr std::string_view key_check_name = "meta:key_check:2";

Error store_error(const fs::path &file, std::string_view what) {
  return make_error(AH_INTERNAL, "store",
                    "secret store " + file.string() + " " + std::string(what));
}

// A failure while reading the file's header and tables: damage, or the file system.
Error unreadable(Database &db, const fs::path &file) {
  const int code = db.failure().code & 0xff;
  if (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN ||
      code == SQLITE_READONLY || code == SQLITE_PERM) {
    return store_error(file, "cannot be read (" + db.failure().message +
                                 "; check that its disk is not full and the files beside it are "
                                 "yours); it was left untouched");
  }
  return store_error(file, "is corrupt or not an SQLite database (" + db.failure().message +
                               "); it was left untouched");
}

Error wrong_key(const fs::path &file, std::string_view key_origin) {
  return store_error(file, "does not match the master key (" + std::string(key_origin) +
                               " is not the key the store was created with)");
}

bool opens_as(const MasterKey &key, const std::string &sealed, std::string_view plain,
              std::string_view name) {
  auto opened = open_sealed(key, sealed, name);
  const bool same = opened && *opened == plain;
  if (opened)
    sodium_memzero(opened->data(), opened->size());
  return same;
}

std::int64_t read_int(Database &db, const char *sql) {
  Statement read(db, sql);
  return read.step() ? read.column_int(0) : 0;
}

// journal_mode cannot change inside a transaction, and SQLite does not call the busy handler
// for it: retry within the connection's busy timeout while another process holds the file.
bool switch_to_wal(Database &db) {
  using clock = std::chrono::steady_clock;
  const auto deadline =
      clock::now() + std::chrono::milliseconds(read_int(db, "PRAGMA busy_timeout"));
  for (;;) {
    db.clear_failure();
    if (db.exec("PRAGMA journal_mode=WAL"))
      return true;
    if ((db.failure().code & 0xff) != SQLITE_BUSY || clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Format 1 -> 2: every live value is opened as format 1 and sealed again bound to its
// version. One that does not open is refused rather than skipped, so nothing is dropped.
Result<Done> reseal_format_1(Database &db, const fs::path &file, const MasterKey &key) {
  struct Resealed {
    std::string name;
    std::string sealed;
  };
  std::vector<Resealed> resealed;
  Statement select(db, "SELECT key, version, sealed FROM secrets WHERE sealed IS NOT NULL");
  while (select.step()) {
    std::string name = select.column_text(0);
    auto plain = open_sealed(key, select.column_blob(2), name);
    if (!plain) {
      return make_error(AH_INTERNAL, "store_tampered",
                        "secret store " + file.string() + " holds secret '" + name +
                            "' that cannot be decrypted, so it cannot be upgraded; it was "
                            "left untouched");
    }
    const auto version = static_cast<std::uint64_t>(select.column_int(1));
    resealed.push_back({name, seal(key, *plain, value_binding(name, version))});
    sodium_memzero(plain->data(), plain->size());
  }
  for (const Resealed &r : resealed) {
    Statement update(db, "UPDATE secrets SET sealed = ? WHERE key = ?");
    update.bind_blob(1, r.sealed).bind(2, r.name).step();
  }
  Statement check(db, "UPDATE meta SET value = ? WHERE name = 'key_check'");
  check.bind_blob(1, seal(key, key_check_plain, key_check_name)).step();
  Statement format(db, "UPDATE meta SET value = ? WHERE name = 'schema_version'");
  format.bind(1, store_format).step();
  if (!db.ok())
    return store_error(file, "cannot be upgraded: " + db.failure().message);
  return Done{};
}

// Inside bring_up_to_date's transaction, with the file's current state.
Result<Done> bind_or_upgrade(Database &db, const fs::path &file, const MasterKey &key,
                             std::string_view key_origin) {
  Statement read(db, "SELECT value FROM meta WHERE name = 'key_check'");
  if (!read.step()) {
    if (!db.ok())
      return store_error(file, "cannot be initialised: " + db.failure().message);
    Statement insert(db, "INSERT INTO meta(name, value) VALUES ('key_check', ?), "
                         "('schema_version', ?)");
    insert.bind_blob(1, seal(key, key_check_plain, key_check_name)).bind(2, store_format).step();
    return Done{};
  }
  const std::string check = read.column_blob(0);
  const std::int64_t format =
      read_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'schema_version'");
  if (format > store_format) {
    return store_error(file, "was written by a newer autohost (format " + std::to_string(format) +
                                 "); it was left untouched");
  }
  if (format == store_format) {
    if (!opens_as(key, check, key_check_plain, key_check_name))
      return wrong_key(file, key_origin);
    return Done{};
  }
  if (!opens_as(key, check, key_check_v1_plain, key_check_v1_name)) {
    if (opens_as(key, check, key_check_plain, key_check_name)) {
      return make_error(AH_INTERNAL, "store_tampered",
                        "secret store " + file.string() +
                            " was tampered with: its format was set back to " +
                            std::to_string(format) + "; it was left untouched");
    }
    return wrong_key(file, key_origin);
  }
  return reseal_format_1(db, file, key);
}

} // namespace

std::string value_binding(std::string_view key, std::uint64_t version) {
  // The NUL cannot occur in a key name, so no two (key, version) pairs give the same text.
  std::string binding(key);
  binding += '\0';
  binding += std::to_string(version);
  return binding;
}

Result<StoreLayout> read_layout(Database &db, const fs::path &file) {
  StoreLayout layout;
  layout.autohost = read_int(db, "PRAGMA application_id") == store_application_id;
  const std::int64_t tables = read_int(db, "SELECT count(*) FROM sqlite_schema");
  if (!db.ok())
    return unreadable(db, file);
  if (!layout.autohost && tables != 0) {
    return store_error(file,
                       "is an SQLite database but not an autohost store; it was left untouched");
  }
  {
    Statement mode(db, "PRAGMA journal_mode");
    layout.wal = mode.step() && mode.column_text(0) == "wal";
  }
  if (layout.autohost) {
    layout.has_key_check = read_int(db, "SELECT count(*) FROM meta WHERE name = 'key_check'") > 0;
    layout.format =
        read_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'schema_version'");
  }
  if (!db.ok())
    return unreadable(db, file);
  return layout;
}

Result<Done> verify_key(Database &db, const fs::path &file, const MasterKey &key,
                        std::string_view key_origin) {
  Statement read(db, "SELECT value FROM meta WHERE name = 'key_check'");
  const bool found = read.step();
  if (!db.ok())
    return store_error(file, "cannot be read: " + db.failure().message);
  if (!found || !opens_as(key, read.column_blob(0), key_check_plain, key_check_name))
    return wrong_key(file, key_origin);
  return Done{};
}

Result<Done> bring_up_to_date(Database &db, const fs::path &file, const MasterKey &key,
                              std::string_view key_origin) {
  // WAL lets readers in other processes proceed while one writes.
  if (!switch_to_wal(db))
    return store_error(file, "cannot switch to WAL mode: " + db.failure().message);
  Transaction tx(db);
  if (!tx.begun() || !db.exec(schema) ||
      !db.exec("PRAGMA application_id = " + std::to_string(store_application_id))) {
    return store_error(file, "cannot be initialised: " + db.failure().message);
  }
  AH_TRY(bind_or_upgrade(db, file, key, key_origin));
  if (!db.ok() || !tx.commit())
    return store_error(file, "cannot be initialised: " + db.failure().message);
  return Done{};
}

} // namespace autohost::store
