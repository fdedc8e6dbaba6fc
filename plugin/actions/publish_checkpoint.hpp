// The persisted record of one publish operation, keyed by the call's idempotency key, so
// a repeated call resumes instead of posting again.
#pragma once

#include <autohost/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace threads::actions {

struct PublishCheckpoint {
  // SHA-256 (hex) of the normalised input: the same key with other input is refused.
  std::string input_sha256;
  std::vector<std::string> children; // carousel item containers, in order
  std::string container_id;
  std::int64_t container_created_ms = 0;
  // The newest own post before the publish was sent: anything newer that matches is ours.
  std::string baseline_post_id;
  bool baseline_taken = false;
  // Set (and stored) before the publish request goes out: from then on the outcome must be
  // verified before anything is sent again.
  std::int64_t publish_sent_ms = 0;
  int publish_attempts = 0;
  std::string media_id; // set once published
  std::string permalink;
  std::int64_t published_ms = 0;
};

// The hex SHA-256 of a post's normalised input JSON: what a checkpoint keeps of the input.
std::string input_sha256(std::string_view normalized_input);

std::string to_json(const PublishCheckpoint &c);
// Also reads records written before the digest, which kept the whole input as
// `input_digest`: their input is hashed on load, so they resume as before.
autohost::Result<PublishCheckpoint> checkpoint_from_json(std::string_view json);

// Loads and stores checkpoints in the host store under threads/publish/<account>/<key>,
// always with compare-and-set, so two processes can never both publish one key.
class CheckpointStore {
public:
  CheckpointStore(autohost::HostServices host, std::string account, std::string key);

  // nullopt when none exists yet.
  autohost::Result<std::optional<PublishCheckpoint>> load();
  // Writes over the version last loaded or saved. AH_CONFLICT means another process is
  // working on the same post.
  autohost::Result<autohost::Done> save(const PublishCheckpoint &checkpoint);

  const std::string &key() const noexcept { return key_; }

private:
  autohost::HostServices host_;
  std::string store_key_;
  std::string key_;
  std::uint64_t version_ = 0;
};

// The refusal of a key already used for a different post (AH_CONFLICT).
autohost::Error key_reused_error(std::string_view key);

// Idempotency keys become part of a store key; abi.h's rule (autohost/idempotency_key.hpp)
// keeps them valid there.
autohost::Result<autohost::Done> validate_idempotency_key(std::string_view key);

} // namespace threads::actions
