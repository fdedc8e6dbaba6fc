// The host-services table the host hands to each plugin instance.
#pragma once

#include "log.hpp"
#include "plugin_counters.hpp"
#include "secret_scope.hpp"
#include "store/secret_store.hpp"

#include <autohost/abi.h>
#include <autohost/result.hpp>

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace autohost::host {

// The host's clock as the plugin sees it: Unix milliseconds.
using Clock = std::function<std::int64_t()>;

// Owns the ah_host_services table the host hands to one plugin instance, bound to a store, a
// logger and a clock. (Not the plugin-side autohost::HostServices, which wraps such a table.)
// Must outlive every plugin instance created with `table()`. Not movable: the table points
// at it. Secret calls see only the plugin's namespace ("<plugin_name>/") and `grants`
// (SecretScope); a refusal changes nothing and is logged as a warning. The plugin's counters
// (ABI 1.3 `count`) go to `counters`; without one the table's `count` is NULL.
class ServiceTable {
public:
  // `store` may be null: secret calls then fail with a message saying why.
  ServiceTable(std::string plugin_name, store::SecretStore *store, Logger &logger, Clock clock,
               std::vector<SecretGrant> grants = {}, CounterSink *counters = nullptr);
  ServiceTable(const ServiceTable &) = delete;
  ServiceTable &operator=(const ServiceTable &) = delete;

  const ah_host_services *table() const noexcept { return &table_; }

  // Why the store is missing, reported by secret calls when `store` is null.
  void set_store_unavailable_reason(std::string reason) { no_store_reason_ = std::move(reason); }

private:
  static void log(void *host, ah_log_level level, ah_str message, ah_str fields) noexcept;
  static ah_status secret_get(void *host, ah_str key, ah_sink *value, uint64_t *version) noexcept;
  static ah_status secret_version(void *host, ah_str key, uint64_t *version,
                                  ah_sink *error) noexcept;
  static ah_status secret_get_many(void *host, ah_secret_read *reads, size_t count,
                                   ah_sink *error) noexcept;
  static ah_status secret_put(void *host, ah_str key, ah_str value, uint64_t expected,
                              uint64_t *new_version, ah_sink *error) noexcept;
  static ah_status secret_put_many(void *host, ah_secret_write *writes, size_t count,
                                   ah_sink *error) noexcept;
  static ah_status secret_list(void *host, ah_str prefix, ah_sink *out) noexcept;
  static ah_status secret_delete(void *host, ah_str key, uint64_t expected,
                                 ah_sink *error) noexcept;
  static int64_t now_ms(void *host) noexcept;
  static void count(void *host, ah_str name, ah_str labels, uint64_t delta) noexcept;

  ah_status no_store(ah_sink *sink) const noexcept;
  // The scope's answer for `key`, with a warning logged when it refuses.
  Result<Done> permitted(std::string_view key, SecretAccess access);
  // AH_OK when there is a store and `key` is the plugin's to `access`; otherwise the
  // refusal, reported to `sink` (the preamble of every single-key secret service).
  ah_status admit(std::string_view key, SecretAccess access, ah_sink *sink);
  // The frame of a batched secret service (secret_get_many, secret_put_many): an empty batch
  // is done; a null array or a missing store fails the call; `body(table, fail_all)` does
  // the rest. Until it answers, every item carries the call's failure.
  template <class Item, class Body>
  static ah_status batched(const char *service, void *host, Item *items, size_t count,
                           ah_sink *error, Body &&body) noexcept;

  std::string plugin_name_;
  SecretScope scope_;
  store::SecretStore *store_;
  Logger &logger_;
  Clock clock_;
  CounterSink *counters_;
  std::mutex warned_mutex_;
  std::set<std::string, std::less<>> warned_; // counter names refused once (bounded)
  std::string no_store_reason_ = "no secret store is configured";
  ah_host_services table_{};
};

// The host's clock: Unix milliseconds of the wall clock, shifted by
// AUTOHOST_TEST_CLOCK_OFFSET_S seconds (may be negative or fractional) when that is set.
// TEST-ONLY: it lets a plugin and a test server with a controllable clock (the Threads
// sandbox) move through simulated months together. A value that is not a number is an
// error naming the variable.
Result<Clock> host_clock_from_env();

inline constexpr const char *test_clock_offset_env = "AUTOHOST_TEST_CLOCK_OFFSET_S";

} // namespace autohost::host
