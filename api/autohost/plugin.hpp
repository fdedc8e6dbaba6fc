// Header-only helpers for plugin authors: implement a C++ class, get the C table.
#pragma once

#include <autohost/abi.h>
#include <autohost/result.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace autohost {

inline ah_str to_ah(std::string_view s) noexcept { return ah_str{s.data(), s.size()}; }
inline std::string_view from_ah(ah_str s) noexcept {
  return s.len == 0 ? std::string_view{} : std::string_view{s.ptr, s.len};
}

// An ah_sink that appends to a std::string it borrows.
struct StringSink {
  std::string text;
  ah_sink sink{this, &StringSink::append};
  StringSink() = default;
  StringSink(const StringSink &) = delete;
  StringSink &operator=(const StringSink &) = delete;
  static void append(void *ctx, const char *data, size_t len) {
    static_cast<StringSink *>(ctx)->text.append(data, len);
  }
};

inline void write_to(ah_sink *sink, std::string_view text) noexcept {
  if (sink != nullptr && sink->write != nullptr && !text.empty()) {
    sink->write(sink->ctx, text.data(), text.size());
  }
}

struct Secret {
  std::string value;
  std::uint64_t version = 0;
};

// One compare-and-set of HostServices::secret_put_many.
struct SecretWrite {
  std::string key;
  std::string value;
  std::uint64_t expected_version = 0;
};

// The host-services table seen from C++. Borrowed: valid from create() until destroy().
class HostServices {
public:
  explicit HostServices(const ah_host_services *services) : s_(services) {}

  // The lowest level the host writes (ABI 1.2); AH_LOG_DEBUG (everything) with an older host.
  ah_log_level log_level() const noexcept {
    if (!AH_HAS_FIELD(s_, ah_host_services, log_level) || s_->log_level < AH_LOG_DEBUG)
      return AH_LOG_DEBUG;
    return s_->log_level > AH_LOG_ERROR ? AH_LOG_ERROR : static_cast<ah_log_level>(s_->log_level);
  }
  // Whether an event at `level` would be written: test it before building an expensive one.
  bool logs(ah_log_level level) const noexcept {
    return s_->log != nullptr && level >= log_level();
  }

  void log(ah_log_level level, std::string_view message, std::string_view fields_json = {}) const {
    if (logs(level))
      s_->log(s_->host, level, to_ah(message), to_ah(fields_json));
  }

  // Whether the host keeps the plugin's counters (ABI 1.3 `count`, not NULL): test it
  // before building a counter's labels.
  bool counts() const noexcept {
    return AH_HAS_FIELD(s_, ah_host_services, count) && s_->count != nullptr;
  }
  // Adds `delta` to the counter `name` for `labels_json` (a JSON object of string values,
  // or empty); see abi.h for the rules. Does nothing on a host that keeps no counters.
  void count(std::string_view name, std::string_view labels_json = {},
             std::uint64_t delta = 1) const {
    if (counts())
      s_->count(s_->host, to_ah(name), to_ah(labels_json), delta);
  }

  // The secret, std::nullopt when absent, or an Error.
  Result<std::optional<Secret>> secret_get(std::string_view key) const {
    StringSink value;
    std::uint64_t version = 0;
    const ah_status st = s_->secret_get(s_->host, to_ah(key), &value.sink, &version);
    if (st == AH_NOT_FOUND)
      return std::optional<Secret>{};
    if (st != AH_OK)
      return Error{st, std::move(value.text)};
    return std::optional<Secret>{Secret{std::move(value.text), version}};
  }

  // Whether the host offers secret_version (ABI 1.4 and a non-NULL entry).
  bool has_secret_version() const noexcept {
    return AH_HAS_FIELD(s_, ah_host_services, secret_version) && s_->secret_version != nullptr;
  }

  // The version secret_get would report now, without the value: 0 when the key is absent.
  // Only on a host that has_secret_version().
  Result<std::uint64_t> secret_version(std::string_view key) const {
    StringSink error;
    std::uint64_t version = 0;
    const ah_status st = s_->secret_version(s_->host, to_ah(key), &version, &error.sink);
    if (st == AH_NOT_FOUND)
      return std::uint64_t{0};
    if (st != AH_OK)
      return Error{st, std::move(error.text)};
    return version;
  }

  // Whether the host offers secret_get_many (ABI 1.5 and a non-NULL entry).
  bool has_secret_get_many() const noexcept {
    return AH_HAS_FIELD(s_, ah_host_services, secret_get_many) && s_->secret_get_many != nullptr;
  }

  // Several secret_gets, each with secret_get's answer for its key (the secret, std::nullopt
  // when absent, or an Error). On a host with secret_get_many they are one store read, and a
  // store failure is every item's Error; on an older host each is one secret_get.
  std::vector<Result<std::optional<Secret>>>
  secret_get_many(std::span<const std::string_view> keys) const {
    std::vector<Result<std::optional<Secret>>> out;
    out.reserve(keys.size());
    if (keys.empty())
      return out;
    if (!has_secret_get_many()) {
      for (const std::string_view key : keys)
        out.push_back(secret_get(key));
      return out;
    }
    std::vector<StringSink> values(keys.size()); // in place: each sink points at its own
    std::vector<ah_secret_read> items;
    items.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i)
      items.push_back(ah_secret_read{to_ah(keys[i]), values[i].sink, 0, AH_INTERNAL, 0});
    StringSink error;
    const ah_status st = s_->secret_get_many(s_->host, items.data(), items.size(), &error.sink);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto status = static_cast<ah_status>(items[i].status);
      if (st != AH_OK)
        out.emplace_back(Error{st, error.text});
      else if (status == AH_NOT_FOUND)
        out.emplace_back(std::optional<Secret>{});
      else if (status != AH_OK)
        out.emplace_back(Error{status, std::move(values[i].text)});
      else
        out.emplace_back(
            std::optional<Secret>{Secret{std::move(values[i].text), items[i].version}});
    }
    return out;
  }

  // Compare-and-set; returns the new version. A lost race is AH_CONFLICT.
  Result<std::uint64_t> secret_put(std::string_view key, std::string_view value,
                                   std::uint64_t expected_version) const {
    StringSink error;
    std::uint64_t version = 0;
    const ah_status st =
        s_->secret_put(s_->host, to_ah(key), to_ah(value), expected_version, &version, &error.sink);
    if (st != AH_OK)
      return Error{st, std::move(error.text)};
    return version;
  }

  // Whether the host offers secret_put_many (ABI 1.1 and a non-NULL entry).
  bool has_secret_put_many() const noexcept {
    return AH_HAS_FIELD(s_, ah_host_services, secret_put_many) && s_->secret_put_many != nullptr;
  }

  // Several compare-and-sets, each with secret_put's rules and result (the new version, or
  // an Error: AH_CONFLICT when someone else wrote first). On a host with secret_put_many
  // they commit in one store transaction, and a store failure is every item's Error with
  // nothing written; on an older host each is one secret_put, committed on its own.
  std::vector<Result<std::uint64_t>> secret_put_many(std::span<const SecretWrite> writes) const {
    std::vector<Result<std::uint64_t>> out;
    out.reserve(writes.size());
    if (writes.empty())
      return out;
    if (!has_secret_put_many()) {
      for (const auto &w : writes)
        out.push_back(secret_put(w.key, w.value, w.expected_version));
      return out;
    }
    std::vector<ah_secret_write> items;
    items.reserve(writes.size());
    for (const auto &w : writes) {
      items.push_back(
          ah_secret_write{to_ah(w.key), to_ah(w.value), w.expected_version, AH_INTERNAL, 0});
    }
    StringSink error;
    const ah_status st = s_->secret_put_many(s_->host, items.data(), items.size(), &error.sink);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string &key = writes[i].key;
      if (st != AH_OK) {
        out.emplace_back(Error{st, error.text});
      } else if (items[i].status == AH_OK) {
        out.emplace_back(items[i].new_version);
      } else if (items[i].status == AH_CONFLICT) {
        out.emplace_back(Error::make(AH_CONFLICT, "secret '" + key + "' is at version " +
                                                      std::to_string(items[i].new_version) +
                                                      ", not the expected " +
                                                      std::to_string(writes[i].expected_version)));
      } else {
        const auto status = static_cast<ah_status>(items[i].status);
        out.emplace_back(Error::make(status, "the host refused to write secret '" + key + "' (" +
                                                 std::string(status_name(status)) + ")"));
      }
    }
    return out;
  }

  // JSON array of {"key", "version"}.
  Result<std::string> secret_list(std::string_view prefix) const {
    StringSink out;
    const ah_status st = s_->secret_list(s_->host, to_ah(prefix), &out.sink);
    if (st != AH_OK)
      return Error{st, std::move(out.text)};
    return std::move(out.text);
  }

  Result<Done> secret_delete(std::string_view key, std::uint64_t expected_version) const {
    StringSink error;
    const ah_status st = s_->secret_delete(s_->host, to_ah(key), expected_version, &error.sink);
    if (st != AH_OK)
      return Error{st, std::move(error.text)};
    return Done{};
  }

  std::int64_t now_ms() const { return s_->now_ms(s_->host); }

  const ah_host_services *raw() const noexcept { return s_; }

private:
  const ah_host_services *s_;
};

// The per-call context seen from C++. Borrowed for one call.
class CallContext {
public:
  explicit CallContext(const ah_call_context *ctx) : c_(ctx) {}

  std::string_view idempotency_key() const {
    return c_ == nullptr ? std::string_view{} : from_ah(c_->idempotency_key);
  }
  std::string_view account() const {
    return c_ == nullptr ? std::string_view{} : from_ah(c_->account);
  }
  std::int64_t deadline_ms() const { return c_ == nullptr ? 0 : c_->deadline_ms; }
  bool cancelled() const {
    return c_ != nullptr && c_->is_cancelled != nullptr && c_->is_cancelled(c_->cancel_ctx) != 0;
  }
  void progress(std::string_view json) const {
    if (c_ != nullptr) {
      ah_sink sink = c_->progress;
      write_to(&sink, json);
    }
  }

private:
  const ah_call_context *c_;
};

// What a plugin instance implements. `invoke` and `run_job` may run concurrently.
class PluginInstance {
public:
  virtual ~PluginInstance() = default;
  virtual Result<std::string> invoke(std::string_view action, std::string_view input_json,
                                     const CallContext &ctx) = 0;
  virtual Result<std::string> run_job(std::string_view job, const CallContext &ctx) = 0;
};

// `Create` is a function `Result<std::unique_ptr<PluginInstance>>(HostServices,
// std::string_view config_json)`. The adapter turns it into the C function table and
// makes sure no exception crosses the seam.
template <auto Create> struct PluginAdapter {
  static ah_status fail(ah_sink *sink, ah_status status, std::string_view message) noexcept {
    try {
      write_to(sink, Error::make(status, message).body);
    } catch (...) {
      // Out of memory while reporting; the status alone must do.
    }
    return status;
  }

  static ah_status current_exception_to(ah_sink *sink) noexcept {
    try {
      throw;
    } catch (const std::bad_alloc &) {
      return fail(sink, AH_INTERNAL, "out of memory");
    } catch (const std::exception &e) {
      return fail(sink, AH_INTERNAL, std::string("unexpected exception: ") + e.what());
    } catch (...) {
      return fail(sink, AH_INTERNAL, "unexpected exception of unknown type");
    }
  }

  static ah_status deliver(Result<std::string> result, ah_sink *out) noexcept {
    if (result) {
      write_to(out, result.value());
      return AH_OK;
    }
    const Error &e = result.error();
    write_to(out, e.body);
    return e.status == AH_OK ? AH_INTERNAL : e.status;
  }

  static ah_status create(const ah_host_services *host, ah_str config, ah_instance **out,
                          ah_sink *error) noexcept {
    if (out != nullptr)
      *out = nullptr;
    if (host == nullptr || out == nullptr)
      return fail(error, AH_INVALID_INPUT, "null argument");
    if (!AH_HAS_FIELD(host, ah_host_services, now_ms)) {
      return fail(error, AH_INVALID_INPUT, "host services table is older than ABI 1.0");
    }
    try {
      auto made = Create(HostServices(host), from_ah(config));
      if (!made) {
        write_to(error, made.error().body);
        return made.error().status == AH_OK ? AH_INTERNAL : made.error().status;
      }
      *out = reinterpret_cast<ah_instance *>(made.value().release());
      return AH_OK;
    } catch (...) {
      return current_exception_to(error);
    }
  }

  static ah_status invoke(ah_instance *instance, ah_str action, ah_str input,
                          const ah_call_context *ctx, ah_sink *out) noexcept {
    if (instance == nullptr)
      return fail(out, AH_INVALID_INPUT, "null instance");
    try {
      auto *self = reinterpret_cast<PluginInstance *>(instance);
      return deliver(self->invoke(from_ah(action), from_ah(input), CallContext(ctx)), out);
    } catch (...) {
      return current_exception_to(out);
    }
  }

  static ah_status run_job(ah_instance *instance, ah_str job, const ah_call_context *ctx,
                           ah_sink *out) noexcept {
    if (instance == nullptr)
      return fail(out, AH_INVALID_INPUT, "null instance");
    try {
      auto *self = reinterpret_cast<PluginInstance *>(instance);
      return deliver(self->run_job(from_ah(job), CallContext(ctx)), out);
    } catch (...) {
      return current_exception_to(out);
    }
  }

  static void destroy(ah_instance *instance) noexcept {
    // A destructor that throws would terminate; PluginInstance destructors are noexcept.
    delete reinterpret_cast<PluginInstance *>(instance);
  }

  static constexpr ah_plugin table(const char *name, const char *version,
                                   const char *manifest_json) noexcept {
    return ah_plugin{
        sizeof(ah_plugin),
        AH_ABI_MAJOR,
        AH_ABI_MINOR,
        sizeof(ah_host_services),
        sizeof(ah_call_context),
        name,
        version,
        manifest_json,
        &create,
        &invoke,
        &run_job,
        &destroy,
    };
  }
};

} // namespace autohost
