// A consistent copy of an SQLite store while others use it: SQLite's online backup API.
#include "store/store_backup.hpp"

#include "errors.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace autohost::store {
namespace fs = std::filesystem;
using host::make_error;

namespace {

struct CloseDb {
  void operator()(sqlite3 *db) const noexcept { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

Error failure(const fs::path &file, const std::string &what) {
  return make_error(AH_INTERNAL, "store", "backup " + file.string() + ": " + what);
}

Result<Db> open_db(const fs::path &file, int flags) {
  sqlite3 *raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return failure(file, std::string("cannot be opened: ") +
                             (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 15000);
  return db;
}

// The copy itself; `to` exists (empty) and is removed by the caller on failure.
Result<Done> copy_pages(const fs::path &from, const fs::path &to) {
  AH_TRY_DECLARE(source, open_db(from, SQLITE_OPEN_READONLY));
  AH_TRY_DECLARE(dest, open_db(to, SQLITE_OPEN_READWRITE));
  sqlite3_backup *backup = sqlite3_backup_init(dest.get(), "main", source.get(), "main");
  if (backup == nullptr)
    return failure(to, sqlite3_errmsg(dest.get()));
  // All pages in one step: the copy is of one read transaction, whatever writers do.
  int rc = sqlite3_backup_step(backup, -1);
  const int finished = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE || finished != SQLITE_OK) {
    return failure(from, std::string("copy failed: ") +
                             sqlite3_errstr(rc == SQLITE_DONE ? finished : rc));
  }
  // One file, nothing in a -wal beside it: the copy can be moved anywhere.
  sqlite3_exec(dest.get(), "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr);
  sqlite3_stmt *check = nullptr;
  rc = sqlite3_prepare_v2(dest.get(), "PRAGMA quick_check", -1, &check, nullptr);
  std::string verdict = "cannot be checked";
  if (rc == SQLITE_OK && sqlite3_step(check) == SQLITE_ROW)
    verdict = reinterpret_cast<const char *>(sqlite3_column_text(check, 0));
  sqlite3_finalize(check);
  if (verdict != "ok")
    return failure(to, "the copy does not check out: " + verdict);
  return Done{};
}

} // namespace

Result<std::uintmax_t> backup_sqlite_store(const fs::path &from, const fs::path &to) {
  std::error_code ec;
  if (!fs::exists(from, ec))
    return failure(from, "the store does not exist");
  const int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return make_error(AH_INVALID_INPUT, "usage",
                        "backup file " + to.string() +
                            " exists; autohost never overwrites it: remove it or pick another");
    }
    return failure(to, std::string("cannot be created: ") + std::strerror(errno));
  }
  ::close(fd);
  auto copied = copy_pages(from, to);
  if (!copied) {
    fs::remove(to, ec);
    return std::move(copied).error();
  }
  const auto size = fs::file_size(to, ec);
  if (ec)
    return failure(to, ec.message());
  return size;
}

} // namespace autohost::store
