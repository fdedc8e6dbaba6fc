// The persisted record of one publish operation.
#include "actions/publish_checkpoint.hpp"

#include <autohost/idempotency_key.hpp>

#include <boost/json.hpp>
#include <openssl/evp.h>

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;

std::string input_sha256(std::string_view normalized_input) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(normalized_input.data(), normalized_input.size(), digest, &size, EVP_sha256(),
                 nullptr) != 1) {
    return {}; // never equal to a stored digest, so a resumed key is refused, not misused
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xF];
  }
  return out;
}

std::string to_json(const PublishCheckpoint &c) {
  json::array children;
  for (const auto &id : c.children)
    children.emplace_back(id);
  json::object o{{"input_sha256", c.input_sha256},
                 {"children", std::move(children)},
                 {"container_id", c.container_id},
                 {"container_created_ms", c.container_created_ms},
                 {"baseline_post_id", c.baseline_post_id},
                 {"baseline_taken", c.baseline_taken},
                 {"publish_sent_ms", c.publish_sent_ms},
                 {"publish_attempts", c.publish_attempts},
                 {"media_id", c.media_id},
                 {"permalink", c.permalink},
                 {"published_ms", c.published_ms}};
  return json::serialize(o);
}

autohost::Result<PublishCheckpoint> checkpoint_from_json(std::string_view text) {
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) {
    return Error::make(AH_INTERNAL, "the stored publish record is damaged (not JSON)");
  }
  const json::object &o = doc.as_object();
  PublishCheckpoint c;
  auto str = [&](std::string_view k, std::string &out) {
    if (const json::value *v = o.if_contains(k); v != nullptr && v->is_string()) {
      out = std::string(v->as_string());
    }
  };
  auto num = [&](std::string_view k, std::int64_t &out) {
    if (const json::value *v = o.if_contains(k); v != nullptr && v->is_int64())
      out = v->as_int64();
  };
  str("input_sha256", c.input_sha256);
  if (c.input_sha256.empty()) {
    std::string legacy_input; // records from before the digest held the input itself
    str("input_digest", legacy_input);
    if (!legacy_input.empty())
      c.input_sha256 = input_sha256(legacy_input);
  }
  str("container_id", c.container_id);
  str("baseline_post_id", c.baseline_post_id);
  str("media_id", c.media_id);
  str("permalink", c.permalink);
  num("container_created_ms", c.container_created_ms);
  num("publish_sent_ms", c.publish_sent_ms);
  num("published_ms", c.published_ms);
  if (const json::value *v = o.if_contains("publish_attempts"); v != nullptr && v->is_int64()) {
    c.publish_attempts = static_cast<int>(v->as_int64());
  }
  if (const json::value *v = o.if_contains("baseline_taken"); v != nullptr && v->is_bool()) {
    c.baseline_taken = v->as_bool();
  }
  if (const json::value *v = o.if_contains("children"); v != nullptr && v->is_array()) {
    for (const auto &id : v->as_array()) {
      if (id.is_string())
        c.children.emplace_back(id.as_string());
    }
  }
  return c;
}

Error key_reused_error(std::string_view key) {
  return Error{AH_CONFLICT, json::serialize(json::object{
                                {"code", "idempotency_key_reused"},
                                {"message", "idempotency key '" + std::string(key) +
                                                "' was already used for a different post"}})};
}

autohost::Result<autohost::Done> validate_idempotency_key(std::string_view key) {
  if (autohost::valid_idempotency_key(key))
    return autohost::Done{};
  return Error::make(AH_INVALID_INPUT, autohost::idempotency_key_problem(key));
}

CheckpointStore::CheckpointStore(autohost::HostServices host, std::string account, std::string key)
    : host_(host), store_key_("threads/publish/" + account + "/" + key), key_(std::move(key)) {}

autohost::Result<std::optional<PublishCheckpoint>> CheckpointStore::load() {
  AH_TRY_DECLARE(secret, host_.secret_get(store_key_));
  if (!secret) {
    version_ = 0;
    return std::optional<PublishCheckpoint>{};
  }
  AH_TRY_DECLARE(c, checkpoint_from_json(secret->value));
  version_ = secret->version;
  return std::optional<PublishCheckpoint>{std::move(c)};
}

autohost::Result<autohost::Done> CheckpointStore::save(const PublishCheckpoint &checkpoint) {
  auto put = host_.secret_put(store_key_, to_json(checkpoint), version_);
  if (!put) {
    if (put.error().status == AH_CONFLICT) {
      return Error::make(AH_CONFLICT, "another process is publishing the post with idempotency "
                                      "key '" +
                                          key_ + "'; try again later to get its result");
    }
    return std::move(put).error();
  }
  version_ = put.value();
  return autohost::Done{};
}

} // namespace threads::actions
