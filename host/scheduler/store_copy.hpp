// Copying a whole autohost store to another location: SQLite or PostgreSQL on either side.
#pragma once

#include "store/master_key.hpp"

#include <autohost/result.hpp>

#include <cstdint>
#include <string>

namespace autohost::scheduler {

struct CopyRequest {
  std::string from; // a path or a postgresql:// URL, as given (a password included)
  std::string to;
  store::KeySource key; // the master key both stores must have been created with
};

// What copy_store wrote to the target.
struct CopyReport {
  std::string from; // safe to show: a URL's password replaced by ***
  std::string to;
  std::int64_t secrets = 0;    // live secrets, publish checkpoints and tokens included
  std::int64_t tombstones = 0; // deleted secrets, kept for their version counter
  std::int64_t schedules = 0;
  std::int64_t runs = 0;
  std::int64_t leases_ended = 0; // running runs whose lease the copy ended (see copy_store)
  std::int64_t generation = 0;   // the target's schedule generation afterwards
};

// Copies every secret row (live values and tombstones, with their versions and times; the
// sealed bytes verbatim, since store format 2 binds each to its key name and version and
// not to the file or database it lives in), every schedule and every run from `from` to
// `to`. The source is read in one snapshot; the target is written in one transaction, so
// it ends up with all of it or none. Both stores must match the master key (a new target
// is created bound to it). A run that is running in the source is copied with its lease
// ended: no daemon of the target holds it, so the target's daemons take it over as a
// run whose daemon died (same run id, the plugin's checkpoint decides what is left to do).
// The target's generation ends above both stores' so its daemons look again.
//
// Errors (each names the store by its redacted location): `from` and `to` are one store
// (AH_INVALID_INPUT "same_store"); the source does not exist, cannot be reached or opened,
// or either store has another master key (AH_INTERNAL "store..."); the target already
// holds secrets, schedules or runs (AH_CONFLICT "store_not_empty", nothing written).
Result<CopyReport> copy_store(const CopyRequest &request);

} // namespace autohost::scheduler
