// Read connections to one SQLite file, lent one per read transaction so that readers in
// several threads run at once (WAL) instead of queueing behind the writer's connection.
#pragma once

#include "store/sqlite.hpp"

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

namespace autohost::store::sql {

class ReadConnections;

// A connection for one read transaction; given back to the pool when destroyed. Empty when
// none could be opened: the caller then reads on the writer's connection, as before.
class ReadLease {
public:
  ReadLease(ReadLease &&other) noexcept = default;
  ReadLease &operator=(ReadLease &&) = delete;
  ReadLease(const ReadLease &) = delete;
  ~ReadLease();
  explicit operator bool() const noexcept { return db_ != nullptr; }
  Database &operator*() const noexcept { return *db_; }

private:
  friend class ReadConnections;
  ReadLease(ReadConnections &pool, std::unique_ptr<Database> db) noexcept
      : pool_(&pool), db_(std::move(db)) {}
  ReadConnections *pool_;
  std::unique_ptr<Database> db_;
};

// Connections opened when first needed and kept (each with its own prepared statements) up
// to `keep` idle ones, so a host's worker threads each find one warm; with `keep` 0 none is
// opened (acquire() lends nothing). Every connection runs with query_only: a read body that
// tried to write fails instead of writing outside the writer's lock. Thread-safe; must
// outlive its leases.
class ReadConnections {
public:
  ReadConnections(std::filesystem::path file, int busy_timeout_ms, std::size_t keep);
  ReadConnections(const ReadConnections &) = delete;
  ReadConnections &operator=(const ReadConnections &) = delete;

  ReadLease acquire();
  // Frees the page cache of every idle connection (leased ones are in use: left alone).
  void release_memory() noexcept;

private:
  friend class ReadLease;
  void give_back(std::unique_ptr<Database> db);

  // The file's identity when the writer opened it: a connection is opened only to that
  // file, never to another one moved into its place since (it would read other data).
  bool same_file() const;

  std::filesystem::path file_; // absolute: the process may change directory later
  dev_t device_ = 0;
  ino_t inode_ = 0;
  int busy_timeout_ms_;
  std::size_t keep_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Database>> idle_;
};

} // namespace autohost::store::sql
