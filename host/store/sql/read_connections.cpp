// Read connections to one SQLite file, lent one per read transaction.
#include "store/sql/read_connections.hpp"

#include <sys/stat.h>

namespace autohost::store::sql {

ReadLease::~ReadLease() {
  if (db_ != nullptr)
    pool_->give_back(std::move(db_));
}

ReadConnections::ReadConnections(std::filesystem::path file, int busy_timeout_ms, std::size_t keep)
    : busy_timeout_ms_(busy_timeout_ms), keep_(keep) {
  if (keep_ == 0)
    return; // no file: every read stays on the writer's connection
  std::error_code ec;
  file_ = std::filesystem::absolute(file, ec);
  struct stat st {};
  if (ec || ::stat(file_.c_str(), &st) != 0) {
    keep_ = 0; // unknown identity: every read stays on the writer's connection
    file_.clear();
    return;
  }
  device_ = st.st_dev;
  inode_ = st.st_ino;
}

bool ReadConnections::same_file() const {
  struct stat st {};
  return !file_.empty() && ::stat(file_.c_str(), &st) == 0 && st.st_dev == device_ &&
         st.st_ino == inode_;
}

ReadLease ReadConnections::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Database> db = std::move(idle_.back());
      idle_.pop_back();
      return ReadLease(*this, std::move(db));
    }
  }
  if (!same_file())
    return ReadLease(*this, nullptr);
  // Opened outside the lock: opening touches the file system, and other threads may be
  // giving connections back meanwhile.
  auto db = std::make_unique<Database>(file_, false, Database::Access::single_thread);
  if (db->ok()) {
    sqlite3_busy_timeout(db->handle(), busy_timeout_ms_);
    db->exec("PRAGMA query_only = 1");
  }
  if (!db->ok())
    db.reset();
  return ReadLease(*this, std::move(db));
}

void ReadConnections::release_memory() noexcept {
  std::lock_guard lock(mutex_);
  for (const auto &db : idle_)
    sqlite3_db_release_memory(db->handle());
}

void ReadConnections::give_back(std::unique_ptr<Database> db) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < keep_)
    idle_.push_back(std::move(db));
  // else closed here: more threads read at once than a host usually runs.
}

} // namespace autohost::store::sql
