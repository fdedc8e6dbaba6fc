// The store's on-disk format: its tables, the key check, what each sealed value is bound
// to, and bringing a file written by an older autohost up to date.
#pragma once

#include "store/sealing.hpp"
#include "store/sqlite.hpp"

#include <autohost/result.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace autohost::store {

// 1: values bound to their key name. 2: values bound to their key name and version, so an
// older ciphertext copied over a newer row fails to open.
inline constexpr std::int64_t store_format = 2;

// What a value written as `version` of `key` is bound to (the AEAD associated data).
std::string value_binding(std::string_view key, std::uint64_t version);

// How an existing file looks, read without writing anything.
struct StoreLayout {
  bool autohost = false;      // application_id says so
  bool has_key_check = false; // a master key was bound to it
  std::int64_t format = 0;    // 0 when the file holds no store yet
  bool wal = false;
  // Nothing to write: the file can be opened on a full disk or by a reader only.
  bool current() const { return autohost && has_key_check && format == store_format && wal; }
};

// Refuses a file that is not an autohost store or is corrupt; the error names `file`.
Result<StoreLayout> read_layout(Database &db, const std::filesystem::path &file);

// Reads the key check and compares it with `key`; `key_origin` names where the key came from.
Result<Done> verify_key(Database &db, const std::filesystem::path &file, const MasterKey &key,
                        std::string_view key_origin);

// In one write transaction: creates the tables, binds `key` to a new store, or re-seals a
// format 1 store's values as format 2 (all or nothing). Switches to WAL first if needed.
Result<Done> bring_up_to_date(Database &db, const std::filesystem::path &file, const MasterKey &key,
                              std::string_view key_origin);

} // namespace autohost::store
