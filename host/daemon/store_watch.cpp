// inotify on the store's directory.
#include "daemon/store_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace autohost::daemon {

StoreWatch::StoreWatch(const std::filesystem::path &store_file)
    : name_(store_file.filename().string()) {
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    problem_ = std::string("inotify is not available: ") + std::strerror(errno);
    return;
  }
  std::filesystem::path dir = store_file.parent_path();
  if (dir.empty())
    dir = ".";
  // Writers append to the -wal file (IN_MODIFY); a checkpoint or a rollback-journal mode
  // writes the file itself; a new -wal or -journal appears with IN_CREATE.
  if (inotify_add_watch(fd_, dir.c_str(), IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) <
      0) {
    problem_ = "cannot watch " + dir.string() + ": " + std::strerror(errno);
    close(fd_);
    fd_ = -1;
  }
}

StoreWatch::~StoreWatch() {
  if (fd_ >= 0)
    close(fd_);
}

bool StoreWatch::drain() {
  if (fd_ < 0)
    return false;
  bool relevant = false;
  alignas(inotify_event) char buffer[8192];
  while (true) {
    const ssize_t n = read(fd_, buffer, sizeof buffer);
    if (n <= 0)
      break; // EAGAIN: nothing more
    for (ssize_t at = 0; at < n;) {
      const auto *event = reinterpret_cast<const inotify_event *>(buffer + at);
      if (event->mask & IN_Q_OVERFLOW)
        relevant = true;
      if (event->len > 0) {
        const std::string_view name(event->name);
        if (name.substr(0, name_.size()) == name_)
          relevant = true;
      }
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  return relevant;
}

} // namespace autohost::daemon
