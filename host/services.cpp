// The host-services table: every callback is noexcept and turns failures into statuses.
#include "services.hpp"

#include "errors.hpp"
#include "plugin_errors.hpp"
#include "wipe.hpp"

#include <autohost/cut_text.hpp>
#include <autohost/plugin.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>

namespace autohost::host {
namespace json = boost::json;

namespace {

ServiceTable &self(void *host) { return *static_cast<ServiceTable *>(host); }

ah_status report(ah_sink *sink, const Error &error) noexcept {
  write_to(sink, error.body);
  return error.status == AH_OK ? AH_INTERNAL : error.status;
}

ah_status report_exception(ah_sink *sink) noexcept {
  try {
    throw;
  } catch (const std::exception &e) {
    return report(sink, Error::make(AH_INTERNAL, std::string("host error: ") + e.what()));
  } catch (...) {
    return report(sink, Error::make(AH_INTERNAL, "host error"));
  }
}

Error conflict_error(std::string_view key, std::uint64_t expected, std::uint64_t current) {
  return make_error(AH_CONFLICT, "conflict",
                    "secret '" + std::string(key) + "' is at version " + std::to_string(current) +
                        ", not the expected " + std::to_string(expected));
}

} // namespace

ServiceTable::ServiceTable(std::string plugin_name, store::SecretStore *store, Logger &logger,
                           Clock clock, std::vector<SecretGrant> grants, CounterSink *counters)
    : plugin_name_(std::move(plugin_name)), scope_(plugin_name_, std::move(grants)), store_(store),
      logger_(logger), clock_(std::move(clock)), counters_(counters) {
  table_.struct_size = sizeof(ah_host_services);
  table_.abi_minor = AH_ABI_MINOR;
  table_.host = this;
  table_.log = &ServiceTable::log;
  table_.secret_get = &ServiceTable::secret_get;
  table_.secret_put = &ServiceTable::secret_put;
  table_.secret_list = &ServiceTable::secret_list;
  table_.secret_delete = &ServiceTable::secret_delete;
  table_.now_ms = &ServiceTable::now_ms;
  table_.secret_put_many = &ServiceTable::secret_put_many;
  table_.log_level = logger_.min_level();
  table_.count = counters_ != nullptr ? &ServiceTable::count : nullptr;
  table_.secret_version = &ServiceTable::secret_version;
  table_.secret_get_many = &ServiceTable::secret_get_many;
}

ah_status ServiceTable::no_store(ah_sink *sink) const noexcept {
  try {
    return report(sink, make_error(AH_INTERNAL, "store", no_store_reason_));
  } catch (...) {
    return AH_INTERNAL;
  }
}

Result<Done> ServiceTable::permitted(std::string_view key, SecretAccess access) {
  auto allowed = scope_.check(key, access);
  if (!allowed && error_code(allowed.error()) == "outside_namespace") {
    // The operator's view of a plugin reaching for keys that are not its own.
    json::object fields{{"plugin", plugin_name_},
                        {"key", key},
                        {"access", access == SecretAccess::read ? "read" : "write"}};
    logger_.log(AH_LOG_WARN, "autohost", "secret access outside the plugin's namespace refused",
                json::serialize(fields));
  }
  return allowed;
}

ah_status ServiceTable::admit(std::string_view key, SecretAccess access, ah_sink *sink) {
  if (store_ == nullptr)
    return no_store(sink);
  if (auto allowed = permitted(key, access); !allowed)
    return report(sink, allowed.error());
  return AH_OK;
}

void ServiceTable::log(void *host, ah_log_level level, ah_str message, ah_str fields) noexcept {
  try {
    auto &h = self(host);
    // A plugin may log a server's whole answer; one log line holds at most a few KiB of it.
    h.logger_.log(level, h.plugin_name_, cut_text(from_ah(message)),
                  bound_log_fields(from_ah(fields)));
  } catch (...) {
    // Logging must never take a plugin call down with it.
  }
}

void ServiceTable::count(void *host, ah_str name, ah_str labels, uint64_t delta) noexcept {
  try {
    auto &h = self(host);
    auto checked = counter_labels(from_ah(name), from_ah(labels));
    if (checked) {
      h.counters_->add(h.plugin_name_, from_ah(name), checked.value(), delta);
      return;
    }
    // One warning per counter name, so that a plugin counting in a loop does not flood the log.
    constexpr std::size_t max_warned = 100;
    const std::string key(from_ah(name).substr(0, 64));
    {
      const std::lock_guard lock(h.warned_mutex_);
      if (h.warned_.size() >= max_warned || !h.warned_.insert(key).second)
        return;
    }
    json::object fields{{"plugin", h.plugin_name_}, {"error", error_message(checked.error())}};
    h.logger_.log(AH_LOG_WARN, "autohost", "a plugin's counter was dropped",
                  json::serialize(fields));
  } catch (...) {
    // Counting must never take a plugin call down with it.
  }
}

ah_status ServiceTable::secret_get(void *host, ah_str key, ah_sink *value,
                                   uint64_t *version) noexcept {
  try {
    auto &h = self(host);
    if (const ah_status refused = h.admit(from_ah(key), SecretAccess::read, value);
        refused != AH_OK)
      return refused;
    auto got = h.store_->get(from_ah(key));
    if (!got)
      return report(value, got.error());
    if (!got.value())
      return AH_NOT_FOUND;
    // The plugin gets its own copy; the decrypted text the host holds is wiped.
    const WipeOnExit wiped(got.value()->value);
    write_to(value, got.value()->value);
    if (version != nullptr)
      *version = got.value()->version;
    return AH_OK;
  } catch (...) {
    return report_exception(value);
  }
}

namespace {
void fail_item(ah_secret_read &read, ah_status status) noexcept {
  read.status = status;
  read.version = 0;
}
void fail_item(ah_secret_write &write, ah_status status) noexcept {
  write.status = status;
  write.new_version = 0;
}
} // namespace

template <class Item, class Body>
ah_status ServiceTable::batched(const char *service, void *host, Item *items, size_t count,
                                ah_sink *error, Body &&body) noexcept {
  auto fail_all = [items, count](ah_status status) {
    for (size_t i = 0; i < count; ++i)
      fail_item(items[i], status);
    return status;
  };
  if (count == 0)
    return AH_OK;
  try {
    if (items == nullptr) {
      return report(error, make_error(AH_INVALID_INPUT, "invalid_input",
                                      std::string(service) + " was given no items but a count of " +
                                          std::to_string(count)));
    }
    auto &h = self(host);
    if (h.store_ == nullptr)
      return fail_all(h.no_store(error));
    return body(h, fail_all);
  } catch (...) {
    return fail_all(report_exception(error));
  }
}

ah_status ServiceTable::secret_get_many(void *host, ah_secret_read *reads, size_t count,
                                        ah_sink *error) noexcept {
  return batched("secret_get_many", host, reads, count, error, [&](ServiceTable &h, auto fail_all) {
    // Keys the scope refuses get their own refusal and never reach the store.
    std::vector<std::string_view> keys;
    std::vector<size_t> sent; // keys[j] is reads[sent[j]].key
    keys.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      reads[i].version = 0;
      if (auto allowed = h.permitted(from_ah(reads[i].key), SecretAccess::read); !allowed) {
        reads[i].status = report(&reads[i].value, allowed.error());
        continue;
      }
      keys.push_back(from_ah(reads[i].key));
      sent.push_back(i);
    }
    auto got = h.store_->get_many(keys);
    if (!got)
      return fail_all(report(error, got.error()));
    // The plugin gets its own copies; the decrypted texts the host holds are wiped, even if
    // a sink throws.
    struct WipeAll {
      std::vector<Result<std::optional<store::StoredSecret>>> &values;
      ~WipeAll() {
        for (auto &value : values) {
          if (value && value.value())
            wipe(value.value()->value);
        }
      }
    } wiped{got.value()};
    for (size_t j = 0; j < sent.size(); ++j) {
      ah_secret_read &read = reads[sent[j]];
      const auto &one = got.value()[j];
      if (!one) {
        read.status = report(&read.value, one.error());
      } else if (!one.value()) {
        read.status = AH_NOT_FOUND;
      } else {
        write_to(&read.value, one.value()->value);
        read.version = one.value()->version;
        read.status = AH_OK;
      }
    }
    return AH_OK;
  });
}

ah_status ServiceTable::secret_version(void *host, ah_str key, uint64_t *version,
                                       ah_sink *error) noexcept {
  try {
    if (version != nullptr)
      *version = 0;
    auto &h = self(host);
    if (const ah_status refused = h.admit(from_ah(key), SecretAccess::read, error);
        refused != AH_OK)
      return refused;
    auto found = h.store_->version(from_ah(key));
    if (!found)
      return report(error, found.error());
    if (found.value() == 0)
      return AH_NOT_FOUND;
    if (version != nullptr)
      *version = found.value();
    return AH_OK;
  } catch (...) {
    return report_exception(error);
  }
}

ah_status ServiceTable::secret_put(void *host, ah_str key, ah_str value, uint64_t expected,
                                   uint64_t *new_version, ah_sink *error) noexcept {
  try {
    auto &h = self(host);
    if (const ah_status refused = h.admit(from_ah(key), SecretAccess::write, error);
        refused != AH_OK)
      return refused;
    auto put = h.store_->put(from_ah(key), from_ah(value), expected);
    if (!put)
      return report(error, put.error());
    if (new_version != nullptr)
      *new_version = put.value().version;
    if (put.value().outcome == store::WriteOutcome::conflict) {
      return report(error, conflict_error(from_ah(key), expected, put.value().version));
    }
    return AH_OK;
  } catch (...) {
    return report_exception(error);
  }
}

ah_status ServiceTable::secret_put_many(void *host, ah_secret_write *writes, size_t count,
                                        ah_sink *error) noexcept {
  return batched(
      "secret_put_many", host, writes, count, error, [&](ServiceTable &h, auto fail_all) {
        // Items the scope refuses keep their own status and never reach the store.
        std::vector<store::PutRequest> puts;
        std::vector<size_t> sent; // puts[j] is writes[sent[j]]
        puts.reserve(count);
        for (size_t i = 0; i < count; ++i) {
          if (auto allowed = h.permitted(from_ah(writes[i].key), SecretAccess::write); !allowed) {
            fail_item(writes[i], allowed.error().status);
            continue;
          }
          puts.push_back(
              {from_ah(writes[i].key), from_ah(writes[i].value), writes[i].expected_version});
          sent.push_back(i);
        }
        auto put = h.store_->put_many(puts);
        if (!put)
          return fail_all(report(error, put.error()));
        for (size_t j = 0; j < sent.size(); ++j) {
          const size_t i = sent[j];
          const auto &one = put.value()[j];
          if (!one) {
            fail_item(writes[i], one.error().status == AH_OK ? AH_INTERNAL : one.error().status);
            continue;
          }
          writes[i].status =
              one.value().outcome == store::WriteOutcome::conflict ? AH_CONFLICT : AH_OK;
          writes[i].new_version = one.value().version;
        }
        return AH_OK;
      });
}

ah_status ServiceTable::secret_list(void *host, ah_str prefix, ah_sink *out) noexcept {
  try {
    auto &h = self(host);
    if (h.store_ == nullptr)
      return h.no_store(out);
    // Only what the plugin may read; a prefix outside its scope lists nothing. The text is
    // written entry by entry, not through a JSON array of objects: with 100,000 accounts
    // that array was the largest thing a refresh sweep held.
    std::string text = "[";
    for (const auto &readable : h.scope_.list_prefixes(from_ah(prefix))) {
      auto listed = h.store_->list(readable);
      if (!listed)
        return report(out, listed.error());
      for (const auto &info : listed.value()) {
        text += text.size() == 1 ? "{\"key\":" : ",{\"key\":";
        text += json::serialize(json::string_view(info.key));
        text += ",\"version\":" + std::to_string(info.version) + "}";
      }
    }
    text += "]";
    write_to(out, text);
    return AH_OK;
  } catch (...) {
    return report_exception(out);
  }
}

ah_status ServiceTable::secret_delete(void *host, ah_str key, uint64_t expected,
                                      ah_sink *error) noexcept {
  try {
    auto &h = self(host);
    if (const ah_status refused = h.admit(from_ah(key), SecretAccess::write, error);
        refused != AH_OK)
      return refused;
    auto removed = h.store_->remove(from_ah(key), expected);
    if (!removed)
      return report(error, removed.error());
    if (removed.value().outcome == store::WriteOutcome::conflict) {
      return report(error, conflict_error(from_ah(key), expected, removed.value().version));
    }
    return AH_OK;
  } catch (...) {
    return report_exception(error);
  }
}

Result<Clock> host_clock_from_env() {
  std::int64_t offset_ms = 0;
  if (const char *text = std::getenv(test_clock_offset_env); text != nullptr && *text != 0) {
    char *end = nullptr;
    const double seconds = std::strtod(text, &end);
    if (end == text || *end != 0 || !std::isfinite(seconds) || std::fabs(seconds) > 1e11) {
      return make_error(AH_INVALID_INPUT, "usage",
                        std::string(test_clock_offset_env) + " must be a number of seconds, not '" +
                            text + "'");
    }
    offset_ms = static_cast<std::int64_t>(std::llround(seconds * 1000));
  }
  return Clock([offset_ms] {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() + offset_ms;
  });
}

int64_t ServiceTable::now_ms(void *host) noexcept {
  try {
    return self(host).clock_();
  } catch (...) {
    return 0;
  }
}

} // namespace autohost::host
