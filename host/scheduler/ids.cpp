// Identifiers the scheduler makes and checks.
#include "scheduler/ids.hpp"

#include "errors.hpp"

#include <autohost/idempotency_key.hpp>

#include <sodium.h>

#include <array>
#include <cstdint>

namespace autohost::scheduler {

namespace {

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Error invalid(std::string_view what, std::string_view value, std::string_view rule) {
  return host::make_error(AH_INVALID_INPUT, "invalid_input",
                          std::string(what) + " '" + std::string(value) + "' " + std::string(rule));
}

std::array<unsigned char, 16> blake2b_128(std::string_view text) {
  std::array<unsigned char, 16> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char *>(text.data()),
                     text.size(), nullptr, 0);
  return out;
}

} // namespace

Result<Done> validate_schedule_id(std::string_view id, std::string_view what) {
  const std::string_view rule =
      "must be 1-100 characters of letters, digits and . _ : + -, starting with a letter or digit";
  // A run id, "<schedule id>@" and 16 characters, is the plugin's idempotency key, so a
  // schedule id is an idempotency key (abi.h's rule) without '@' and short enough for it.
  static_assert(100 + 1 + 16 <= AH_IDEMPOTENCY_KEY_MAX);
  if (id.size() > 100 || !valid_idempotency_key(id) || !alnum(id.front()) ||
      id.find('@') != std::string_view::npos) {
    return invalid(what, id, rule);
  }
  return Done{};
}

Result<Done> validate_account(std::string_view account, std::string_view what) {
  const std::string_view rule = "must be 1-64 characters of letters, digits and . _ @ + -";
  if (account.empty() || account.size() > 64)
    return invalid(what, account, rule);
  for (char c : account) {
    if (!alnum(c) && c != '.' && c != '_' && c != '@' && c != '+' && c != '-') {
      return invalid(what, account, rule);
    }
  }
  return Done{};
}

Result<Done> validate_schedule_name(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 200) {
    return invalid(what, name, "must be 1-200 bytes long");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return invalid(what, name, "must not contain control characters");
    }
  }
  return Done{};
}

std::string new_schedule_id() {
  constexpr std::string_view alphabet = "abcdefghijkmnpqrstuvwxyz23456789"; // no l, o, 0, 1
  std::string id = "s-";
  for (int i = 0; i < 10; ++i) {
    id += alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
  }
  return id;
}

std::string make_run_id(std::string_view schedule_id, Instant due) {
  std::string stamp = format_utc(due); // 2025-03-30T01:00:00Z
  std::string compact;
  for (char c : stamp) {
    if (c != '-' && c != ':')
      compact += c;
  }
  return std::string(schedule_id) + "@" + compact;
}

std::string content_hash(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : blake2b_128(text)) {
    out += hex[b >> 4];
    out += hex[b & 0xf];
  }
  return out;
}

std::chrono::seconds jitter_for(std::string_view run_id, std::chrono::seconds max) {
  if (max.count() <= 0)
    return std::chrono::seconds{0};
  const auto digest = blake2b_128(run_id);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | digest[static_cast<size_t>(i)];
  return std::chrono::seconds{
      static_cast<std::int64_t>(v % static_cast<std::uint64_t>(max.count() + 1))};
}

} // namespace autohost::scheduler
