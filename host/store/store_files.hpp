// The store's files on disk: private directories, and refusing files that are unsafe to use.
#pragma once

#include <autohost/result.hpp>

#include <filesystem>

namespace autohost::store {

// Creates `dir` and any missing parents mode 0700 whatever the umask (only the directories
// it creates: an existing one keeps its mode). The error names the directory.
Result<Done> make_private_dirs(const std::filesystem::path &dir);

// Refuses a store file, or the directory that holds it, that other users may write (anyone
// could replace the file or plant a -wal beside it); a sticky directory such as /tmp is
// allowed, since others cannot remove or rename what they do not own there. The error names
// the path and the chmod that fixes it.
Result<Done> check_not_writable_by_others(const std::filesystem::path &file);

enum class StoreFile { missing, present };

// Whether the store file exists. A file of 0 bytes is refused: only a missing file is
// created, so an empty one is a store that was truncated (the error names it and what
// beside it shows that it held data: the master key, a -wal file).
Result<StoreFile> probe_store_file(const std::filesystem::path &file,
                                   const std::filesystem::path &key_file);

} // namespace autohost::store
