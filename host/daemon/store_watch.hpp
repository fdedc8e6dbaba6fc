// Wakes the daemon when another process writes the store: inotify on the store file's
// directory, filtered to the store file and its -wal and -journal files. The daemon then
// compares the store's generation to see whether the change matters.
#pragma once

#include "daemon/wake_source.hpp"

#include <filesystem>
#include <string>

namespace autohost::daemon {

class StoreWatch final : public WakeSource {
public:
  explicit StoreWatch(const std::filesystem::path &store_file);
  ~StoreWatch() override;
  StoreWatch(const StoreWatch &) = delete;
  StoreWatch &operator=(const StoreWatch &) = delete;

  // -1 when inotify is not available (then `problem()` says why and the daemon falls back
  // to checking the generation every few seconds).
  int fd() const noexcept override { return fd_; }
  std::string problem() const override { return problem_; }
  bool sees_every_change() const noexcept override { return fd_ >= 0; }
  // Reads every pending event; true when one concerned the store's files.
  bool drain() override;

private:
  int fd_ = -1;
  std::string problem_;
  std::string name_; // the store file's name; its -wal/-journal share the prefix
};

} // namespace autohost::daemon
