// Thin RAII over the SQLite C API.
#include "store/sqlite.hpp"

namespace autohost::store {

Database::Database(const std::filesystem::path &file, bool create, Access access) {
  const int flags = SQLITE_OPEN_READWRITE |
                    (access == Access::shared ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX) |
                    (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    failure_ = {rc, db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)};
    sqlite3_close(db_);
    db_ = nullptr;
    return;
  }
  sqlite3_extended_result_codes(db_, 1);
  // Keep the -wal and -shm files when the last connection closes (the WAL emptied, see
  // journal_size_limit): the next reader then needs no new disk space, so a store on a full
  // disk can still be read.
  int persist = 1;
  sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  sqlite3_exec(db_, "PRAGMA journal_size_limit = 0", nullptr, nullptr, nullptr);
}

Database::~Database() {
  for (auto &[sql, cached] : cache_)
    sqlite3_finalize(cached.stmt);
  sqlite3_close(db_);
}

void Database::fail(int code) {
  if (failure_.code == SQLITE_OK) {
    failure_ = {code, db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code)};
  }
}

bool Database::exec(std::string_view sql) {
  if (!ok())
    return false;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    fail(rc);
  return rc == SQLITE_OK;
}

Statement Database::prepare(std::string_view sql) { return Statement(*this, sql); }

Statement::Statement(Database &db, std::string_view sql) : db_(db) {
  if (!db_.ok())
    return;
  auto found = db_.cache_.find(sql);
  if (found != db_.cache_.end() && !found->second.in_use) {
    stmt_ = found->second.stmt;
    in_use_ = &found->second.in_use;
    *in_use_ = true;
    return;
  }
  const bool keep = found == db_.cache_.end() && db_.cache_.size() < Database::cache_limit;
  const int rc = sqlite3_prepare_v3(db_.handle(), sql.data(), static_cast<int>(sql.size()),
                                    keep ? SQLITE_PREPARE_PERSISTENT : 0, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    db_.fail(rc);
    return;
  }
  if (keep && stmt_ != nullptr) {
    auto slot = db_.cache_.emplace(std::string(sql), Database::Cached{stmt_, true}).first;
    in_use_ = &slot->second.in_use;
  }
}

Statement::~Statement() {
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

Statement &Statement::bind(int index, std::string_view text) {
  if (stmt_ != nullptr) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  return *this;
}

Statement &Statement::bind_blob(int index, std::string_view bytes) {
  if (stmt_ != nullptr) {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  }
  return *this;
}

Statement &Statement::bind(int index, std::int64_t value) {
  if (stmt_ != nullptr)
    sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement &Statement::bind_null(int index) {
  if (stmt_ != nullptr)
    sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::step() {
  if (stmt_ == nullptr || !db_.ok())
    return false;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc != SQLITE_DONE)
    db_.fail(rc);
  return false;
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto *text = sqlite3_column_text(stmt_, index);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char *>(text),
                                       static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string Statement::column_blob(int index) const {
  const void *blob = sqlite3_column_blob(stmt_, index);
  return blob == nullptr ? std::string()
                         : std::string(static_cast<const char *>(blob),
                                       static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

} // namespace autohost::store
