// Thin RAII over the SQLite C API: a connection and prepared statements with bound values.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace autohost::store {

// An SQLite failure with the statement's context; the store turns it into an Error.
struct SqliteFailure {
  int code = SQLITE_OK;
  std::string message;
};

class Statement;

// One thread at a time uses a Database (the stores hold a mutex around every operation).
// Statements are prepared once per SQL text and reused: see Statement.
class Database {
public:
  // shared: SQLite serialises calls on the connection itself. single_thread: the owner
  // hands the connection to one thread at a time (a pool with a mutex), so SQLite's own
  // per-call mutex is skipped.
  enum class Access { shared, single_thread };
  // Opens (creating when `create` is set) the file. Failures leave the handle empty and
  // describe the reason in `failure()`.
  Database(const std::filesystem::path &file, bool create, Access access = Access::shared);
  Database(const Database &) = delete;
  Database &operator=(const Database &) = delete;
  ~Database();

  bool ok() const noexcept { return db_ != nullptr && failure_.code == SQLITE_OK; }
  const SqliteFailure &failure() const noexcept { return failure_; }
  // Forgets the last failure; each store operation starts with a clean slate.
  void clear_failure() noexcept {
    if (db_ != nullptr)
      failure_ = {};
  }

  // Runs one or more statements with no results. Returns false and sets failure() on error.
  bool exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  sqlite3 *handle() const noexcept { return db_; }
  void fail(int code);

private:
  friend class Statement;
  // A statement kept for reuse; `in_use` while a Statement holds it.
  struct Cached {
    sqlite3_stmt *stmt = nullptr;
    bool in_use = false;
  };
  // Enough for every fixed SQL text the stores use; anything beyond is prepared per use.
  static constexpr std::size_t cache_limit = 96;

  sqlite3 *db_ = nullptr;
  SqliteFailure failure_;
  std::map<std::string, Cached, std::less<>> cache_;
};

// A prepared statement with bound values. The first Statement for an SQL text prepares it
// and leaves it in the Database's cache; later ones reuse it (reset, bindings cleared), so
// a hot path pays for parsing once. A text already held by a live Statement (nested use)
// is prepared afresh and finalised after use.
class Statement {
public:
  Statement(Database &db, std::string_view sql);
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;
  ~Statement();

  Statement &bind(int index, std::string_view text);
  Statement &bind_blob(int index, std::string_view bytes);
  Statement &bind(int index, std::int64_t value);
  Statement &bind_null(int index);

  // Steps once: true when a row is available, false when done or failed (see db.ok()).
  bool step();
  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  bool column_is_null(int index) const;

private:
  Database &db_;
  sqlite3_stmt *stmt_ = nullptr;
  bool *in_use_ = nullptr; // the cache slot's flag when stmt_ is cached
};

// A write transaction (BEGIN IMMEDIATE, so the write lock is taken up front and two
// writers never deadlock upgrading), or with `write` false a read transaction (BEGIN: one
// snapshot, no lock until something writes). Rolls back unless committed, so every early
// return leaves the file as it was.
class Transaction {
public:
  explicit Transaction(Database &db, bool write = true) : db_(db) {
    active_ = run(write ? "BEGIN IMMEDIATE" : "BEGIN");
  }
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;
  ~Transaction() {
    if (active_)
      sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  bool begun() const { return active_; }
  // A failed COMMIT that leaves the transaction open (SQLITE_BUSY can) is rolled back, so
  // a failure always means nothing was written and the connection is usable again.
  bool commit() {
    active_ = false;
    if (run("COMMIT"))
      return true;
    if (sqlite3_get_autocommit(db_.handle()) == 0) {
      sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return false;
  }

private:
  // BEGIN and COMMIT as cached statements: every store call has both, and parsing them
  // each time (sqlite3_exec) was a fifth of a one-row read's cost.
  bool run(std::string_view sql) {
    Statement(db_, sql).step();
    return db_.ok();
  }

  Database &db_;
  bool active_ = false;
};

} // namespace autohost::store
