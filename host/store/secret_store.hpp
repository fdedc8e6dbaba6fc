// The secret store interface: versioned compare-and-set key/value secrets.
#pragma once

#include <autohost/abi.h>
#include <autohost/result.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace autohost::store {

struct StoredSecret {
  std::string value;
  std::uint64_t version = 0;
  std::int64_t updated_ms = 0;
};

struct SecretInfo {
  std::string key;
  std::uint64_t version = 0;
  std::int64_t updated_ms = 0;
};

enum class WriteOutcome { written, conflict };

// After a put or remove: whether it happened, and the version now stored (the new one when
// written, the one that won when in conflict; 0 when nothing is stored).
struct WriteResult {
  WriteOutcome outcome = WriteOutcome::written;
  std::uint64_t version = 0;
};

// One compare-and-set of a batch (put_many); the strings are borrowed for the call.
struct PutRequest {
  std::string_view key;
  std::string_view value;
  std::uint64_t expected_version = 0;
};

// Versions grow by one with every write and never go back, even across a delete, so a
// stale compare-and-set can never succeed. Implementations are safe to share between
// threads and between processes.
class SecretStore {
public:
  virtual ~SecretStore() = default;

  // nullopt when the key does not exist.
  virtual Result<std::optional<StoredSecret>> get(std::string_view key) = 0;
  // get() for several keys at once, in one read transaction where the store needs one: each
  // key's answer (its value, nullopt, or an Error for that key alone: a bad key, a value
  // that does not open). An Error for the whole call means the store could not be read.
  virtual Result<std::vector<Result<std::optional<StoredSecret>>>>
  get_many(std::span<const std::string_view> keys) = 0;
  // The version get() would report now, without opening the value; 0 when the key does not
  // exist (or was deleted).
  virtual Result<std::uint64_t> version(std::string_view key) = 0;
  // Writes when the stored version equals `expected_version` (0: must not exist;
  // AH_VERSION_ANY: unconditional).
  virtual Result<WriteResult> put(std::string_view key, std::string_view value,
                                  std::uint64_t expected_version) = 0;
  // Several puts in one transaction (one durable commit), applied in order, each with
  // put's rules and its own result: a WriteResult, or an invalid_key Error for that item
  // alone. An Error for the whole call means the transaction failed and nothing was written.
  virtual Result<std::vector<Result<WriteResult>>> put_many(std::span<const PutRequest> puts) = 0;
  // Keys starting with `prefix`, sorted, without values.
  virtual Result<std::vector<SecretInfo>> list(std::string_view prefix) = 0;
  // Removes when the stored version equals `expected_version` (AH_VERSION_ANY: any). A
  // missing key is AH_NOT_FOUND.
  virtual Result<WriteResult> remove(std::string_view key, std::uint64_t expected_version) = 0;
};

// Key names: 1-256 bytes of [A-Za-z0-9._:/@+-], not starting with '/'. The error names
// the key and the rule it breaks.
Result<Done> validate_key(std::string_view key);

} // namespace autohost::store
