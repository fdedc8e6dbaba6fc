// An in-memory host-services table for plugin unit tests: a versioned compare-and-set
// secret map (with the ABI 1.1 batch, the 1.4 version probe and the 1.5 batch read, or a table
// of an older size without them), a settable
// clock, captured log lines, and a hook that runs just before a write lands (to simulate
// another process writing first). It keeps every secret rule of abi.h (the conformance
// plugin checks it) except that it does not check keys.
#pragma once

#include <autohost/plugin.hpp>

#include <cstddef>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace autohost::test {

class FakeHost {
public:
  FakeHost() {
    table_.struct_size = sizeof(ah_host_services);
    table_.abi_minor = AH_ABI_MINOR;
    table_.host = this;
    table_.log = &FakeHost::log;
    table_.secret_get = &FakeHost::get;
    table_.secret_put = &FakeHost::put;
    table_.secret_list = &FakeHost::list;
    table_.secret_delete = &FakeHost::remove;
    table_.now_ms = &FakeHost::now;
    table_.secret_put_many = &FakeHost::put_many;
    table_.secret_version = &FakeHost::version;
    table_.secret_get_many = &FakeHost::get_many;
  }
  FakeHost(const FakeHost &) = delete;
  FakeHost &operator=(const FakeHost &) = delete;

  HostServices services() const { return HostServices(&table_); }
  const ah_host_services *table() const { return &table_; }
  // From now on the table has the ABI 1.0 size: a plugin must not see secret_put_many.
  void use_abi_1_0() {
    table_.struct_size = offsetof(ah_host_services, secret_put_many);
    table_.abi_minor = 0;
  }

  // From now on the table has the ABI 1.3 size: a plugin must not see secret_version.
  void use_abi_1_3() {
    table_.struct_size = offsetof(ah_host_services, secret_version);
    table_.abi_minor = 3;
  }

  // From now on the table has the ABI 1.4 size: a plugin must not see secret_get_many.
  void use_abi_1_4() {
    table_.struct_size = offsetof(ah_host_services, secret_get_many);
    table_.abi_minor = 4;
  }

  // A deleted key stays as a tombstone (live false) that keeps its version counter; an empty
  // value is a value like any other.
  struct Entry {
    std::string value;
    std::uint64_t version = 0;
    bool live = true;
  };
  std::map<std::string, Entry> secrets;
  std::int64_t now_ms = 1'700'000'000'000;
  std::vector<std::pair<ah_log_level, std::string>> logs; // level, message + fields
  int writes = 0;
  int gets = 0;                 // keys read (secret_get calls and secret_get_many items)
  int read_batches = 0;         // secret_get_many calls
  bool fail_read_batch = false; // the next secret_get_many fails as a store failure
  int versions = 0;             // secret_version calls
  int batches = 0;              // secret_put_many calls
  bool fail_batch = false; // the next secret_put_many fails as a store failure, writing nothing
  // Called with the key before each put is checked; may change `secrets`.
  std::function<void(const std::string &key)> before_put;

private:
  static FakeHost &self(void *h) { return *static_cast<FakeHost *>(h); }
  static void log(void *h, ah_log_level level, ah_str message, ah_str fields) {
    self(h).logs.emplace_back(level,
                              std::string(from_ah(message)) + " " + std::string(from_ah(fields)));
  }
  static ah_status get(void *h, ah_str key, ah_sink *value, uint64_t *version) {
    ++self(h).gets;
    auto &s = self(h).secrets;
    auto it = s.find(std::string(from_ah(key)));
    if (it == s.end() || !it->second.live)
      return AH_NOT_FOUND;
    write_to(value, it->second.value);
    *version = it->second.version;
    return AH_OK;
  }
  // Each item is one get, as the ABI says; `fail_read_batch` fails the call first.
  static ah_status get_many(void *h, ah_secret_read *items, size_t count, ah_sink *error) {
    FakeHost &f = self(h);
    ++f.read_batches;
    if (f.fail_read_batch) {
      f.fail_read_batch = false;
      for (size_t i = 0; i < count; ++i)
        items[i].status = AH_RETRY_LATER;
      write_to(error, R"({"code":"store_busy","message":"the fake store is busy"})");
      return AH_RETRY_LATER;
    }
    for (size_t i = 0; i < count; ++i) {
      items[i].version = 0;
      items[i].status = get(h, items[i].key, &items[i].value, &items[i].version);
    }
    return AH_OK;
  }
  static ah_status version(void *h, ah_str key, uint64_t *version, ah_sink *) {
    ++self(h).versions;
    auto &s = self(h).secrets;
    auto it = s.find(std::string(from_ah(key)));
    *version = it == s.end() || !it->second.live ? 0 : it->second.version;
    return *version == 0 ? AH_NOT_FOUND : AH_OK;
  }
  static ah_status put(void *h, ah_str key, ah_str value, uint64_t expected, uint64_t *version,
                       ah_sink *error) {
    FakeHost &f = self(h);
    const std::string k(from_ah(key));
    if (f.before_put) {
      auto hook = std::move(f.before_put); // one shot, and not re-entered
      f.before_put = nullptr;
      hook(k);
    }
    const auto it = f.secrets.find(k);
    const std::uint64_t current = it != f.secrets.end() && it->second.live ? it->second.version : 0;
    if (expected != AH_VERSION_ANY && expected != current) {
      if (version != nullptr)
        *version = current;
      write_to(error, R"({"code":"conflict","message":"version mismatch"})");
      return AH_CONFLICT;
    }
    Entry &e = f.secrets[k];
    e.value = std::string(from_ah(value));
    e.live = true;
    e.version += 1;
    ++f.writes;
    if (version != nullptr)
      *version = e.version;
    return AH_OK;
  }
  // Each item is one put, in order, as the ABI says; `fail_batch` fails the call first.
  static ah_status put_many(void *h, ah_secret_write *items, size_t count, ah_sink *error) {
    FakeHost &f = self(h);
    ++f.batches;
    if (f.fail_batch) {
      f.fail_batch = false;
      for (size_t i = 0; i < count; ++i)
        items[i].status = AH_RETRY_LATER;
      write_to(error, R"({"code":"store_busy","message":"the fake store is busy"})");
      return AH_RETRY_LATER;
    }
    for (size_t i = 0; i < count; ++i) {
      items[i].status = put(h, items[i].key, items[i].value, items[i].expected_version,
                            &items[i].new_version, nullptr);
    }
    return AH_OK;
  }
  static ah_status list(void *h, ah_str prefix, ah_sink *out) {
    std::string json = "[";
    for (const auto &[k, e] : self(h).secrets) {
      if (!e.live || k.rfind(std::string(from_ah(prefix)), 0) != 0)
        continue;
      if (json.size() > 1)
        json += ",";
      json += R"({"key":")" + k + R"(","version":)" + std::to_string(e.version) + "}";
    }
    write_to(out, json + "]");
    return AH_OK;
  }
  static ah_status remove(void *h, ah_str key, uint64_t expected, ah_sink *) {
    auto &s = self(h).secrets;
    auto it = s.find(std::string(from_ah(key)));
    if (it == s.end() || !it->second.live)
      return AH_NOT_FOUND;
    if (expected != AH_VERSION_ANY && expected != it->second.version)
      return AH_CONFLICT;
    it->second.value.clear(); // a tombstone keeps the version counter
    it->second.live = false;
    it->second.version += 1;
    return AH_OK;
  }
  static int64_t now(void *h) { return self(h).now_ms; }

  ah_host_services table_{};
};

} // namespace autohost::test
