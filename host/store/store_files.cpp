// The store's files on disk: private directories, and refusing files that are unsafe to use.
#include "store/store_files.hpp"

#include "errors.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace autohost::store {
namespace fs = std::filesystem;
using host::make_error;

namespace {

Error file_error(const fs::path &path, std::string_view what) {
  return make_error(AH_INTERNAL, "store",
                    "secret store " + path.string() + " " + std::string(what));
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

} // namespace

Result<Done> make_private_dirs(const fs::path &dir) {
  std::vector<fs::path> missing;
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0)
      break;
    missing.push_back(p);
    if (p == p.parent_path())
      break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    // mkdir's mode is masked by the umask, which may also clear the owner's bits; chmod
    // sets exactly 0700 on what we created.
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return make_error(AH_INTERNAL, "store",
                        "cannot create directory " + it->string() + ": " + std::strerror(errno));
    }
    if (::chmod(it->c_str(), 0700) != 0) {
      return make_error(AH_INTERNAL, "store",
                        "cannot make directory " + it->string() +
                            " private: " + std::strerror(errno));
    }
  }
  return Done{};
}

Result<Done> check_not_writable_by_others(const fs::path &file) {
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return make_error(AH_INTERNAL, "store",
                      "directory " + dir.string() + " of secret store " + file.string() +
                          " is writable by other users (mode " + octal_mode(st.st_mode) +
                          "), so anyone could replace the store; run: chmod go-w " + dir.string());
  }
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return file_error(file, "is writable by other users (mode " + octal_mode(st.st_mode) +
                                "); run: chmod 600 " + file.string());
  }
  return Done{};
}

Result<StoreFile> probe_store_file(const fs::path &file, const fs::path &key_file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return StoreFile::missing;
    return file_error(file, std::string("cannot be read: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode))
    return file_error(file, "is a directory");
  if (st.st_size > 0)
    return StoreFile::present;
  std::error_code ec;
  std::string evidence;
  for (const fs::path &beside : {key_file, fs::path(file.string() + "-wal")}) {
    if (!beside.empty() && fs::exists(beside, ec))
      evidence += (evidence.empty() ? "" : " and ") + beside.string();
  }
  if (!evidence.empty()) {
    return file_error(file, "is empty (0 bytes) but " + evidence +
                                " exist: the store was truncated and its secrets and schedules "
                                "are gone; restore it from a backup (it was left untouched)");
  }
  return file_error(file, "is empty (0 bytes), so it is not a store; restore it from a backup, "
                          "or remove it to start a new store");
}

} // namespace autohost::store
