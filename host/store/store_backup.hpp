// A consistent copy of an SQLite store while others use it: SQLite's online backup API.
#pragma once

#include <autohost/result.hpp>

#include <cstdint>
#include <filesystem>

namespace autohost::store {

// Copies the store file `from` to the new file `to` (mode 0600; an existing `to` is refused,
// never overwritten) page by page with SQLite's online backup API, so the copy is one
// consistent state even while daemons write, then checks it (PRAGMA quick_check). The copy
// is sealed with the same master key, which it does not contain. Returns its size in bytes.
// Errors (AH_INVALID_INPUT for an existing `to`, else AH_INTERNAL) name the file; a failed
// copy leaves no file behind.
Result<std::uintmax_t> backup_sqlite_store(const std::filesystem::path &from,
                                           const std::filesystem::path &to);

} // namespace autohost::store
