// Opening the secret store's SQLite file: creating it safely, upgrading, checking the key.
#include "store/secrets_open.hpp"

#include "errors.hpp"
#include "store/store_files.hpp"
#include "store/store_format.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace autohost::store {
namespace fs = std::filesystem;
using host::make_error;

namespace {

Error store_error(std::string_view file, std::string_view what) {
  return make_error(AH_INTERNAL, "store",
                    "secret store " + std::string(file) + " " + std::string(what));
}

void remove_with_journals(const fs::path &file) {
  for (const char *suffix : {"", "-wal", "-shm", "-journal"})
    ::unlink((file.string() + suffix).c_str());
}

// Builds a complete store in a private temporary file and links it into place, so another
// process starting at the same moment either wins or finds a whole store; never an empty or
// half-initialised one. Losing the race is fine: the winner's store is used.
Result<Done> create_store(const SecretStoreOptions &options) {
  const fs::path file(options.location);
  AH_TRY(make_private_dirs(file.has_parent_path() ? file.parent_path() : fs::path(".")));
  AH_TRY_DECLARE(key, load_master_key(options.key, KeyCreation::allowed));
  const fs::path tmp = file.string() + ".new-" + std::to_string(::getpid());
  remove_with_journals(tmp); // left by a crashed process that had our pid
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return store_error(file.string(), std::string("cannot be created: ") + std::strerror(errno));
  ::close(fd);
  Result<Done> built = Done{};
  {
    Database db(tmp, false);
    if (!db.ok())
      built = store_error(file.string(), "cannot be created: " + db.failure().message);
    else
      built = bring_up_to_date(db, file, key, options.key.origin());
  }
  const int linked = built ? ::link(tmp.c_str(), file.c_str()) : 0;
  const int link_errno = errno;
  remove_with_journals(tmp);
  if (!built)
    return built;
  if (linked != 0 && link_errno != EEXIST) {
    return store_error(file.string(),
                       std::string("cannot be created: ") + std::strerror(link_errno));
  }
  return Done{};
}

} // namespace

Result<OpenedSecrets> open_sqlite_secrets(const SecretStoreOptions &options) {
  const fs::path file(options.location);
  if (options.key.env_value) {
    // A malformed key in the environment is reported before the file is touched.
    AH_TRY(load_master_key(options.key, KeyCreation::forbidden));
  }
  AH_TRY(check_not_writable_by_others(file));
  AH_TRY_DECLARE(state, probe_store_file(file, options.key.key_file));
  if (state == StoreFile::missing)
    AH_TRY(create_store(options));

  auto db = std::make_unique<Database>(file, false);
  if (!db->ok())
    return store_error(file.string(), "cannot be opened: " + db->failure().message);
  sqlite3_busy_timeout(db->handle(), options.busy_timeout_ms);
  AH_TRY_DECLARE(layout, read_layout(*db, file));
  AH_TRY_DECLARE(key, load_master_key(options.key, layout.has_key_check ? KeyCreation::forbidden
                                                                        : KeyCreation::allowed));
  // A current store is only read here, so commands that only read work on a full disk.
  if (layout.current()) {
    AH_TRY(verify_key(*db, file, key, options.key.origin()));
  } else {
    AH_TRY(bring_up_to_date(*db, file, key, options.key.origin()));
  }
  // FULL sync makes every committed token rotation durable before we report it.
  if (!db->exec("PRAGMA synchronous=FULL"))
    return store_error(file.string(), "cannot be configured: " + db->failure().message);
  sql::BackendOptions backend;
  backend.noun = "secret store";
  backend.busy_timeout_ms = options.busy_timeout_ms;
  backend.read_connections = options.read_connections;
  return OpenedSecrets{sql::sqlite_backend(std::move(db), file, backend), std::move(key)};
}

} // namespace autohost::store
