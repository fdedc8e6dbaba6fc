// A plugin that checks the host-services table it is given against the rules in abi.h
// (secret versions, compare-and-set, deletes, lists, bad keys, the batch, the clock, the log
// level). Any host runs it like any plugin: invoke action "check" and read the report.
#include <autohost/plugin.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

namespace {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;
using autohost::StringSink;
using autohost::to_ah;

struct Put {
  ah_status status = AH_INTERNAL;
  std::uint64_t version = 0;
  std::string error;
};

struct Got {
  ah_status status = AH_INTERNAL;
  std::string value;
  std::uint64_t version = 0;
};

std::string shown(std::string_view key) {
  return key.size() > 40 ? std::string(key.substr(0, 40)) + "..." : std::string(key);
}

// One run of the checks, under a key prefix of its own.
class Checker {
public:
  Checker(const ah_host_services *s, std::string base) : s_(s), base_(std::move(base)) {}

  json::object run() {
    versions_and_compare_and_set();
    deletes_keep_the_counter();
    empty_values();
    lists();
    bad_keys();
    namespaces();
    batches();
    version_probe();
    batch_reads();
    clock_and_log_level();
    cleanup();
    json::object report{{"host_abi_minor", s_->abi_minor},
                        {"host_struct_size", s_->struct_size},
                        {"prefix", base_},
                        {"passed", passed_},
                        {"failed", failed_},
                        {"skipped", skipped_},
                        {"checks", checks_}};
    return report;
  }

  int failed() const { return failed_; }

private:
  void check(std::string_view rule, bool ok, const std::string &detail = {}) {
    json::object c{{"rule", rule}, {"result", ok ? "pass" : "fail"}};
    if (!ok && !detail.empty())
      c["detail"] = detail;
    checks_.push_back(std::move(c));
    ++(ok ? passed_ : failed_);
  }
  void skip(std::string_view rule, std::string_view why) {
    checks_.push_back(json::object{{"rule", rule}, {"result", "skip"}, {"detail", why}});
    ++skipped_;
  }

  Put put(const std::string &key, std::string_view value, std::uint64_t expected) {
    Put p;
    p.version = 12345; // must be overwritten where the rules say so
    StringSink error;
    p.status =
        s_->secret_put(s_->host, to_ah(key), to_ah(value), expected, &p.version, &error.sink);
    p.error = std::move(error.text);
    touched_.push_back(key);
    return p;
  }
  Got get(const std::string &key) {
    Got g;
    StringSink value;
    g.status = s_->secret_get(s_->host, to_ah(key), &value.sink, &g.version);
    g.value = std::move(value.text);
    return g;
  }
  ah_status remove(const std::string &key, std::uint64_t expected, std::string *error = nullptr) {
    StringSink sink;
    const ah_status st = s_->secret_delete(s_->host, to_ah(key), expected, &sink.sink);
    if (error != nullptr)
      *error = std::move(sink.text);
    return st;
  }
  static std::string said(const Put &p) {
    return std::string(autohost::status_name(p.status)) + ", version " + std::to_string(p.version) +
           (p.error.empty() ? "" : ", " + p.error);
  }
  static std::string said(const Got &g) {
    return std::string(autohost::status_name(g.status)) + ", version " + std::to_string(g.version);
  }
  bool holds(const std::string &key, std::string_view value, std::uint64_t version) {
    const Got g = get(key);
    return g.status == AH_OK && g.value == value && g.version == version;
  }

  void versions_and_compare_and_set() {
    const std::string k = base_ + "cas";
    const Got absent = get(k);
    check("get of a key that does not exist is not_found", absent.status == AH_NOT_FOUND,
          said(absent));
    const Put first = put(k, "v1", 0);
    check("the first write (expected 0) is ok and gets version 1",
          first.status == AH_OK && first.version == 1, said(first));
    check("get returns the value and version written", holds(k, "v1", 1), said(get(k)));
    const Put again = put(k, "x", 0);
    check("expected 0 on an existing key is a conflict reporting the stored version",
          again.status == AH_CONFLICT && again.version == 1 && holds(k, "v1", 1), said(again));
    const Put second = put(k, "v2", 1);
    check("a matching expected version writes a larger version",
          second.status == AH_OK && second.version > 1 && holds(k, "v2", second.version),
          said(second));
    v2_ = second.version;
    const Put stale = put(k, "x", 1);
    check("a stale expected version is a conflict reporting the stored version",
          stale.status == AH_CONFLICT && stale.version == v2_ && holds(k, "v2", v2_), said(stale));
    const Put any = put(k, "v3", AH_VERSION_ANY);
    check("AH_VERSION_ANY writes whatever is stored", any.status == AH_OK && any.version > v2_,
          said(any));
    v3_ = any.version;
    const Put fresh = put(base_ + "fresh", "f", AH_VERSION_ANY);
    check("AH_VERSION_ANY on a missing key creates it at version 1",
          fresh.status == AH_OK && fresh.version == 1, said(fresh));
  }

  void deletes_keep_the_counter() {
    const std::string k = base_ + "cas";
    const ah_status wrong = remove(k, v3_ + 1);
    check("delete with a version that does not match is a conflict and deletes nothing",
          wrong == AH_CONFLICT && holds(k, "v3", v3_), autohost::status_name(wrong).data());
    const ah_status removed = remove(k, v3_);
    const Got after = get(k);
    check("delete with the stored version deletes; get is then not_found",
          removed == AH_OK && after.status == AH_NOT_FOUND,
          std::string(autohost::status_name(removed)) + ", then " + said(after));
    const ah_status twice = remove(k, AH_VERSION_ANY);
    check("delete of a key that does not exist is not_found", twice == AH_NOT_FOUND,
          autohost::status_name(twice).data());
    const Put stale = put(k, "stale", v3_);
    check("after a delete, a writer expecting the old version is a conflict reporting 0",
          stale.status == AH_CONFLICT && stale.version == 0 && get(k).status == AH_NOT_FOUND,
          said(stale));
    const Put again = put(k, "again", 0);
    check("after a delete, a new write (expected 0) gets a version above every earlier one",
          again.status == AH_OK && again.version > v3_, said(again));
  }

  void empty_values() {
    const std::string k = base_ + "empty";
    const Put first = put(k, "", 0);
    const Got got = get(k);
    check("an empty value is a value: stored at version 1 and read back",
          first.status == AH_OK && first.version == 1 && holds(k, "", 1),
          said(first) + "; get " + said(got));
    const Put again = put(k, "", 0);
    check("a key holding an empty value exists: expected 0 is a conflict",
          again.status == AH_CONFLICT && again.version == 1, said(again));
    const ah_status removed = remove(k, 1);
    check("a key holding an empty value can be deleted", removed == AH_OK,
          autohost::status_name(removed).data());
  }

  void lists() {
    const std::string dir = base_ + "list/";
    put(dir + "a", "secret-a", 0);
    put(dir + "b", "secret-b", 0);
    put(dir + "gone", "g", 0);
    remove(dir + "gone", AH_VERSION_ANY);
    put(base_ + "listx", "outside", 0);
    StringSink out;
    const ah_status st = s_->secret_list(s_->host, to_ah(dir), &out.sink);
    boost::system::error_code ec;
    const json::value v = json::parse(out.text, ec);
    bool ok = st == AH_OK && !ec && v.is_array();
    std::vector<std::string> keys;
    if (ok) {
      for (const auto &item : v.as_array()) {
        const json::object *o = item.if_object();
        const json::value *key = o != nullptr ? o->if_contains("key") : nullptr;
        const json::value *version = o != nullptr ? o->if_contains("version") : nullptr;
        ok = ok && key != nullptr && key->is_string() && version != nullptr &&
             version->is_number() && o->size() == 2;
        if (key != nullptr && key->is_string())
          keys.emplace_back(key->as_string());
      }
    }
    std::sort(keys.begin(), keys.end());
    check("list gives {key, version} of the live keys under the prefix, and no values",
          ok && keys == std::vector<std::string>{dir + "a", dir + "b"},
          std::string(autohost::status_name(st)) + ": " + out.text);
    StringSink none;
    const ah_status empty = s_->secret_list(s_->host, to_ah(dir + "nothing/"), &none.sink);
    check("list of a prefix with no keys is an empty array", empty == AH_OK && none.text == "[]",
          std::string(autohost::status_name(empty)) + ": " + none.text);
  }

  void bad_keys() {
    const std::vector<std::string> bad = {"",
                                          "/" + base_ + "lead",
                                          base_ + "with space",
                                          base_ + "tab\tkey",
                                          base_ + "caf\xc3\xa9",
                                          base_ + "semi;colon",
                                          base_ + std::string(257, 'k')};
    for (const auto &key : bad) {
      const Put p = put(key, "v", AH_VERSION_ANY);
      boost::system::error_code ec;
      const json::value body = json::parse(p.error, ec);
      const json::value *message =
          !ec && body.is_object() ? body.as_object().if_contains("message") : nullptr;
      const bool names = key.empty() || key.find('\t') != std::string::npos ||
                         (message != nullptr && message->is_string() &&
                          std::string_view(message->as_string()).find(shown(key).substr(0, 30)) !=
                              std::string_view::npos);
      const Got g = get(key);
      const ah_status d = remove(key, AH_VERSION_ANY);
      check("a bad key ('" + shown(key) + "') is invalid_input for put, get and delete",
            p.status == AH_INVALID_INPUT && g.status == AH_INVALID_INPUT && d == AH_INVALID_INPUT,
            "put " + said(p) + "; get " + said(g) + "; delete " + autohost::status_name(d).data());
      check("the error for a bad key ('" + shown(key) + "') is a JSON body naming it", names,
            p.error);
    }
    const std::string longest = base_ + std::string(256 - base_.size(), 'k');
    const Put p = put(longest, "v", 0);
    check("a key of 256 bytes is accepted", p.status == AH_OK, said(p));
  }

  // "Secret namespaces": another plugin's key is refused like a bad key and never listed.
  // (A host that granted this plugin "conformance-outside" would fail here; none should.)
  void namespaces() {
    const std::string outside = "conformance-outside/" + base_.substr(base_.find('/') + 1) + "k";
    const Put p = put(outside, "v", AH_VERSION_ANY);
    const Got g = get(outside);
    StringSink all; // listed before the delete, so a host that wrote it shows it
    const ah_status st = s_->secret_list(s_->host, to_ah(""), &all.sink);
    const ah_status d = remove(outside, AH_VERSION_ANY);
    check("a key outside the plugin's namespace is invalid_input for put, get and delete",
          p.status == AH_INVALID_INPUT && g.status == AH_INVALID_INPUT && d == AH_INVALID_INPUT,
          "put " + said(p) + "; get " + said(g) + "; delete " + autohost::status_name(d).data());
    check("list with an empty prefix shows no key outside the plugin's namespace",
          st == AH_OK && all.text.find("\"conformance-outside/") == std::string::npos,
          std::string(autohost::status_name(st)) + ": " + shown(all.text));
  }

  void batches() {
    const char *rule = "secret_put_many (ABI 1.1)";
    if (!AH_HAS_FIELD(s_, ah_host_services, secret_put_many) || s_->secret_put_many == nullptr) {
      skip(rule, "the host's table does not have it");
      return;
    }
    const std::string a = base_ + "batch/a", taken = base_ + "batch/taken", bad = "bad key";
    put(taken, "t", 0);
    std::vector<ah_secret_write> items = {
        {to_ah(a), to_ah("a1"), 0, AH_INTERNAL, 12345},
        {to_ah(taken), to_ah("loser"), 0, AH_INTERNAL, 12345},
        {to_ah(bad), to_ah("v"), 0, AH_INTERNAL, 12345},
        {to_ah(a), to_ah("a2"), 1, AH_INTERNAL, 12345},
    };
    touched_.push_back(a);
    StringSink error;
    const ah_status st = s_->secret_put_many(s_->host, items.data(), items.size(), &error.sink);
    auto item = [&](std::size_t i) {
      return std::string(autohost::status_name(static_cast<ah_status>(items[i].status))) + "/" +
             std::to_string(items[i].new_version);
    };
    const std::string detail = std::string(autohost::status_name(st)) + ": " + item(0) + ", " +
                               item(1) + ", " + item(2) + ", " + item(3) + " " + error.text;
    check("a batch answers each item with put's rules, in order",
          st == AH_OK && items[0].status == AH_OK && items[0].new_version == 1 &&
              items[1].status == AH_CONFLICT && items[1].new_version == 1 &&
              items[2].status == AH_INVALID_INPUT && items[2].new_version == 0 &&
              items[3].status == AH_OK && items[3].new_version > 1,
          detail);
    check("a batch writes its items (a key given twice ends with the later value)",
          holds(a, "a2", items[3].new_version) && holds(taken, "t", 1), detail);
    const ah_status empty = s_->secret_put_many(s_->host, nullptr, 0, nullptr);
    check("an empty batch is ok", empty == AH_OK, autohost::status_name(empty).data());
  }

  // secret_get_many (ABI 1.5): each item gets secret_get's answer for its key, a refused key
  // fails alone, and an empty batch is ok.
  void batch_reads() {
    const char *rule = "secret_get_many (ABI 1.5)";
    if (!AH_HAS_FIELD(s_, ah_host_services, secret_get_many) || s_->secret_get_many == nullptr) {
      skip(rule, "the host's table does not have it");
      return;
    }
    const std::string a = base_ + "ra", b = base_ + "rb", gone = base_ + "rgone";
    const Put pa = put(a, "alpha", 0);
    const Put pb = put(b, "", 0); // an empty value is a value
    const Put pg = put(gone, "x", 0);
    remove(gone, AH_VERSION_ANY);
    const std::vector<std::string> keys{
        a,
        base_ + "rnever",
        b,
        gone,
        base_ + "with space",
        "conformance-outside/" + base_.substr(base_.find('/') + 1) + "k",
        a};
    std::vector<StringSink> values(keys.size());
    std::vector<ah_secret_read> reads;
    for (std::size_t i = 0; i < keys.size(); ++i)
      reads.push_back(ah_secret_read{to_ah(keys[i]), values[i].sink, 12345, AH_INTERNAL, 0});
    StringSink error;
    const ah_status st = s_->secret_get_many(s_->host, reads.data(), reads.size(), &error.sink);
    std::string detail = std::string(autohost::status_name(st)) + " " + error.text + ":";
    for (const auto &r : reads) {
      detail += " " + std::string(autohost::status_name(static_cast<ah_status>(r.status))) + "/" +
                std::to_string(r.version);
    }
    auto is = [&](std::size_t i, ah_status status, std::uint64_t version, std::string_view value) {
      return reads[i].status == status && reads[i].version == version && values[i].text == value;
    };
    check("secret_get_many answers each key as secret_get does (values, versions, not_found)",
          st == AH_OK && pa.status == AH_OK && pb.status == AH_OK && pg.status == AH_OK &&
              is(0, AH_OK, pa.version, "alpha") && is(1, AH_NOT_FOUND, 0, "") &&
              is(2, AH_OK, pb.version, "") && is(3, AH_NOT_FOUND, 0, "") &&
              is(6, AH_OK, pa.version, "alpha"),
          detail);
    check("secret_get_many refuses a bad key and a key outside the namespace alone, "
          "as invalid_input with an error body",
          st == AH_OK && reads[4].status == AH_INVALID_INPUT &&
              reads[5].status == AH_INVALID_INPUT &&
              values[4].text.find("with space") != std::string::npos && !values[5].text.empty(),
          detail);
    const ah_status empty = s_->secret_get_many(s_->host, nullptr, 0, nullptr);
    check("an empty batch read is ok", empty == AH_OK, autohost::status_name(empty).data());
  }

  // secret_version (ABI 1.4): get's version without the value, across writes and deletes,
  // refusing what get refuses.
  void version_probe() {
    const char *rule = "secret_version (ABI 1.4)";
    if (!AH_HAS_FIELD(s_, ah_host_services, secret_version) || s_->secret_version == nullptr) {
      skip(rule, "the host's table does not have it");
      return;
    }
    auto probe = [&](const std::string &key, std::string *error = nullptr) {
      std::uint64_t version = 12345; // must be overwritten
      StringSink sink;
      const ah_status st = s_->secret_version(s_->host, to_ah(key), &version, &sink.sink);
      if (error != nullptr)
        *error = std::move(sink.text);
      return std::pair{st, version};
    };
    auto said_probe = [](std::pair<ah_status, std::uint64_t> p) {
      return std::string(autohost::status_name(p.first)) + ", version " + std::to_string(p.second);
    };
    const std::string k = base_ + "probe";
    const auto absent = probe(k);
    check("secret_version of a key that does not exist is not_found with version 0",
          absent.first == AH_NOT_FOUND && absent.second == 0, said_probe(absent));
    const Put first = put(k, "p1", 0);
    const auto one = probe(k);
    check("secret_version reports the version get reads",
          one.first == AH_OK && one.second == first.version && holds(k, "p1", one.second),
          said_probe(one));
    const Put second = put(k, "p2", first.version);
    const auto two = probe(k);
    check("secret_version sees a write at once",
          two.first == AH_OK && two.second == second.version && two.second > one.second,
          said_probe(two));
    remove(k, AH_VERSION_ANY);
    const auto gone = probe(k);
    check("secret_version of a deleted key is not_found with version 0",
          gone.first == AH_NOT_FOUND && gone.second == 0, said_probe(gone));
    std::string error;
    const auto bad = probe(base_ + "with space", &error);
    const auto outside = probe("conformance-outside/" + base_.substr(base_.find('/') + 1) + "k");
    check("secret_version refuses a bad key and a key outside the namespace as invalid_input",
          bad.first == AH_INVALID_INPUT && outside.first == AH_INVALID_INPUT &&
              error.find("with space") != std::string::npos,
          said_probe(bad) + " " + error + "; " + said_probe(outside));
  }

  void clock_and_log_level() {
    const std::int64_t now = s_->now_ms(s_->host);
    check("now_ms is Unix milliseconds", now > 1'500'000'000'000 && now < 4'100'000'000'000,
          std::to_string(now));
    if (!AH_HAS_FIELD(s_, ah_host_services, log_level)) {
      skip("log_level (ABI 1.2)", "the host's table does not have it");
    } else {
      check("log_level is an ah_log_level",
            s_->log_level >= AH_LOG_DEBUG && s_->log_level <= AH_LOG_ERROR,
            std::to_string(s_->log_level));
    }
    if (s_->log != nullptr)
      s_->log(s_->host, AH_LOG_INFO, to_ah("conformance checks done"), to_ah(""));
  }

  void cleanup() {
    for (const auto &key : touched_)
      remove(key, AH_VERSION_ANY);
  }

  const ah_host_services *s_;
  std::string base_;
  json::array checks_;
  int passed_ = 0, failed_ = 0, skipped_ = 0;
  std::uint64_t v2_ = 0, v3_ = 0;
  std::vector<std::string> touched_;
};

class Conformance final : public autohost::PluginInstance {
public:
  explicit Conformance(autohost::HostServices host) : host_(host) {}

  Result<std::string> invoke(std::string_view action, std::string_view input,
                             const autohost::CallContext &) override {
    if (action != "check")
      return Error::make(AH_NOT_FOUND, "conformance has no action '" + std::string(action) + "'");
    boost::system::error_code ec;
    const json::value in = json::parse(input.empty() ? "{}" : input, ec);
    const json::value *prefix =
        !ec && in.is_object() ? in.as_object().if_contains("prefix") : nullptr;
    if (ec || !in.is_object() || (prefix != nullptr && !prefix->is_string())) {
      return Error::make(AH_INVALID_INPUT, "the input must be {\"prefix\": \"...\"} or {}");
    }
    // A prefix of its own for each run, so runs on one store never see each other's keys.
    const std::string base =
        (prefix != nullptr ? std::string(prefix->as_string()) : std::string("conformance/")) +
        "run-" + std::to_string(host_.now_ms()) + "-" + std::to_string(++runs_) + "/";
    Checker checker(host_.raw(), base);
    json::object report = checker.run();
    if (checker.failed() == 0)
      return json::serialize(report);
    report["code"] = "nonconformant";
    report["message"] = std::to_string(checker.failed()) +
                        " rule(s) of abi.h broken by the host's services; see checks";
    return Error{AH_INTERNAL, json::serialize(report)};
  }

  Result<std::string> run_job(std::string_view job, const autohost::CallContext &) override {
    return Error::make(AH_NOT_FOUND, "conformance has no job '" + std::string(job) + "'");
  }

private:
  autohost::HostServices host_;
  std::atomic<int> runs_{0};
};

Result<std::unique_ptr<autohost::PluginInstance>> create(autohost::HostServices host,
                                                         std::string_view) {
  return std::unique_ptr<autohost::PluginInstance>(new Conformance(host));
}

using Adapter = autohost::PluginAdapter<&create>;

constexpr const char manifest[] = R"({"name":"conformance","version":"1.3.0",
"description":"checks the host's services against the rules of abi.h",
"actions":[{"name":"check","description":"runs every check under prefix (default conformance/, which must lie in the plugin's namespace) and reports each; fails (internal, code nonconformant) when a rule is broken","input_schema":{"type":"object","properties":{"prefix":{"type":"string"}},"additionalProperties":false},"output_schema":{"type":"object"}}],
"jobs":[]})";

constexpr ah_plugin table = Adapter::table("conformance", "1.3.0", manifest);

} // namespace

extern "C" __attribute__((visibility("default"))) const ah_plugin *autohost_plugin_entry(void) {
  return &table;
}
