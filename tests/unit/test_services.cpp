// The host-services table as a plugin sees it: secrets with compare-and-set (one at a time
// and batched, ABI 1.1) through the ABI, logging and its level (ABI 1.2), the plugin's
// counters (ABI 1.3), the clock, cancellation, and the conformance plugin's checks of every
// rule in abi.h.
#define BOOST_TEST_MODULE services
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "fake_host.hpp"
#include "log.hpp"
#include "result_print.hpp"
#include "services.hpp"
#include "store/sql_secret_store.hpp"
#include "store/sqlite.hpp"
#include "temp_dir.hpp"
#include "text_match.hpp"
#include "wipe.hpp"

#include <autohost/host.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

using namespace autohost;
using autohost::test::required_env;
using autohost::test::TempDir;

namespace {

using autohost::test::contains;

struct Fixture {
  TempDir dir;
  std::unique_ptr<store::SqlSecretStore> store;
  std::FILE *log_file = std::tmpfile();
  host::Logger logger{log_file, AH_LOG_DEBUG};
  std::unique_ptr<host::ServiceTable> services;
  std::shared_ptr<const Library> lib;
  std::optional<Instance> probe;

  Fixture() {
    auto s = store::SqlSecretStore::open(
        {dir / "store.db", store::KeySource{std::string(64, 'b'), dir / "master.key"}});
    BOOST_REQUIRE(s);
    store = std::move(s).value();
    services = std::make_unique<host::ServiceTable>("probe", store.get(), logger,
                                                    [] { return std::int64_t{42}; });
    auto l = Library::open(std::filesystem::path(required_env("TEST_PLUGIN_DIR")) / "probe.so");
    BOOST_REQUIRE(l);
    lib = l.value();
    auto i = Instance::create(lib, services->table());
    BOOST_REQUIRE(i);
    probe.emplace(std::move(i).value());
  }
  ~Fixture() {
    probe.reset();
    std::fclose(log_file);
  }
  std::string log_text() {
    std::fflush(log_file);
    std::rewind(log_file);
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, log_file)) > 0)
      text.append(buf, n);
    return text;
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(secrets_round_trip_through_the_abi, Fixture) {
  auto put = probe->invoke("secret_put", R"({"key":"probe/a","value":"v1","expected_version":0})");
  BOOST_REQUIRE(put);
  BOOST_TEST(put.value() == R"({"version":1})");
  auto got = probe->invoke("secret_get", R"({"key":"probe/a"})");
  BOOST_TEST(got.value() == R"({"found":true,"value":"v1","version":1})");
  BOOST_TEST(store->get("probe/a").value()->value == "v1");
  BOOST_TEST(probe->invoke("secret_list", R"({"prefix":"probe/"})").value() ==
             R"([{"key":"probe/a","version":1}])");
  BOOST_TEST(probe->invoke("secret_delete", R"({"key":"probe/a"})"));
  BOOST_TEST(probe->invoke("secret_get", R"({"key":"probe/a"})").value() == R"({"found":false})");
}

BOOST_FIXTURE_TEST_CASE(lost_compare_and_set_is_a_conflict_naming_the_version, Fixture) {
  BOOST_REQUIRE(store->put("probe/a", "winner", 0));
  BOOST_REQUIRE(store->put("probe/a", "winner2", 1));
  auto put =
      probe->invoke("secret_put", R"({"key":"probe/a","value":"loser","expected_version":1})");
  BOOST_REQUIRE(!put);
  BOOST_TEST(put.error().status == AH_CONFLICT);
  BOOST_TEST(contains(host::error_message(put.error()), "is at version 2, not the expected 1"));
  BOOST_TEST(store->get("probe/a").value()->value == "winner2");
}

BOOST_FIXTURE_TEST_CASE(invalid_key_from_a_plugin_is_invalid_input, Fixture) {
  auto put = probe->invoke("secret_put", R"({"key":"bad key","value":"v"})");
  BOOST_REQUIRE(!put);
  BOOST_TEST(put.error().status == AH_INVALID_INPUT);
}

BOOST_FIXTURE_TEST_CASE(plugin_logs_become_json_lines_with_source, Fixture) {
  BOOST_REQUIRE(probe->invoke("log", R"({"message":"hello \"world\""})"));
  const std::string text = log_text();
  BOOST_TEST(contains(text, R"("level":"warn")"));
  BOOST_TEST(contains(text, R"("source":"probe")"));
  BOOST_TEST(contains(text, R"("msg":"hello \"world\"")"));
  BOOST_TEST(contains(text, R"("probe":true)"));
  BOOST_TEST(text.back() == '\n');
}

BOOST_FIXTURE_TEST_CASE(cancellation_and_progress_reach_the_plugin, Fixture) {
  std::atomic<int> cancel{0};
  std::string progress;
  CallOptions call;
  call.cancel_ctx = &cancel;
  call.is_cancelled = [](void *c) { return static_cast<std::atomic<int> *>(c)->load(); };
  call.progress = ah_sink{&progress, [](void *ctx, const char *d, size_t n) {
                            static_cast<std::string *>(ctx)->append(d, n);
                          }};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel = 1;
  });
  auto r = probe->invoke("wait_for_cancel", "{}", call);
  canceller.join();
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().status == AH_CANCELLED);
  BOOST_TEST(contains(progress, R"({"waiting":true})"));
}

BOOST_FIXTURE_TEST_CASE(the_table_offers_secret_put_many_as_abi_1_1, Fixture) {
  const ah_host_services *table = services->table();
  BOOST_TEST(table->abi_minor >= 1u);
  BOOST_TEST(AH_HAS_FIELD(table, ah_host_services, secret_put_many));
  BOOST_TEST((table->secret_put_many != nullptr));
}

BOOST_FIXTURE_TEST_CASE(a_batch_through_the_abi_gives_per_item_results, Fixture) {
  BOOST_REQUIRE(store->put("probe/b", "b1", 0));
  auto r = probe->invoke("secret_put_many", R"({"writes":[
      {"key":"probe/a","value":"a1","expected_version":0},
      {"key":"probe/b","value":"loser","expected_version":0},
      {"key":"bad key","value":"v","expected_version":0},
      {"key":"probe/b","value":"b2","expected_version":1}]})");
  BOOST_REQUIRE(r);
  BOOST_TEST(r.value() ==
             R"({"status":"ok","error":"","items":[)"
             R"({"status":"ok","version":1},{"status":"conflict","version":1},)"
             R"({"status":"invalid_input","version":0},{"status":"ok","version":2}]})");
  BOOST_TEST(store->get("probe/a").value()->value == "a1");
  BOOST_TEST(store->get("probe/b").value()->value == "b2");
}

BOOST_FIXTURE_TEST_CASE(a_failed_batch_through_the_abi_writes_nothing_and_says_why, Fixture) {
  // A real SQLite failure on the second item (after the first was written in the batch).
  {
    store::Database raw(dir / "store.db", false);
    BOOST_REQUIRE(raw.exec("CREATE TRIGGER refuse BEFORE INSERT ON secrets WHEN NEW.key = "
                           "'probe/boom' BEGIN SELECT RAISE(ABORT, 'refused'); END;"));
  }
  auto r = probe->invoke("secret_put_many", R"({"writes":[
      {"key":"probe/a","value":"a1","expected_version":0},
      {"key":"probe/boom","value":"x","expected_version":0}]})");
  BOOST_REQUIRE(r);
  const auto out = boost::json::parse(r.value()).as_object();
  BOOST_TEST(out.at("status").as_string() == "internal");
  BOOST_TEST(contains(std::string(out.at("error").as_string()), "'probe/boom'"));
  for (const auto &item : out.at("items").as_array()) {
    BOOST_TEST(item.at("status").as_string() == "internal"); // every item carries the failure
    BOOST_TEST(item.at("version").as_int64() == 0);
  }
  BOOST_TEST(!store->get("probe/a").value().has_value());
}

namespace {

// Runs the conformance plugin's "check" against `table`; the report, or the error body.
std::pair<ah_status, boost::json::object> conformance_on(const ah_host_services *table) {
  auto lib = Library::open(required_env("CONFORMANCE_PLUGIN"));
  BOOST_REQUIRE(lib);
  auto inst = Instance::create(lib.value(), table);
  BOOST_REQUIRE(inst);
  auto r = inst.value().invoke("check", R"({"prefix":"conformance/"})");
  const std::string text = r ? r.value() : r.error().body;
  return {r ? AH_OK : r.error().status, boost::json::parse(text).as_object()};
}

std::string failed_rules(const boost::json::object &report) {
  std::string out;
  for (const auto &c : report.at("checks").as_array()) {
    if (c.at("result").as_string() == "fail")
      out += boost::json::serialize(c) + "\n";
  }
  return out;
}

} // namespace

// The host's table with its real clock (the fixture's stands still at 42 ms).
struct Conformance : Fixture {
  host::ServiceTable real{"conformance", store.get(), logger, host::host_clock_from_env().value()};
};

BOOST_FIXTURE_TEST_CASE(the_hosts_services_pass_every_conformance_check, Conformance) {
  auto [status, report] = conformance_on(real.table());
  BOOST_TEST(status == AH_OK, failed_rules(report));
  BOOST_TEST(report.at("failed").as_int64() == 0);
  BOOST_TEST(report.at("skipped").as_int64() == 0);
  BOOST_TEST(report.at("passed").as_int64() >= 30);
  // It cleans up after itself: only tombstones stay.
  BOOST_TEST(store->list("conformance/").value().empty());
}

BOOST_FIXTURE_TEST_CASE(an_abi_1_0_table_passes_with_the_newer_checks_skipped, Conformance) {
  ah_host_services old = *real.table();
  old.struct_size = offsetof(ah_host_services, secret_put_many);
  old.abi_minor = 0;
  auto [status, report] = conformance_on(&old);
  BOOST_TEST(status == AH_OK, failed_rules(report));
  // secret_put_many, log_level, secret_version, secret_get_many
  BOOST_TEST(report.at("skipped").as_int64() == 4);
}

namespace {
// A store that forgets compare-and-set: every put is unconditional.
const ah_host_services *forgetful_inner = nullptr;
ah_status forgetful_put(void *host, ah_str key, ah_str value, uint64_t, uint64_t *version,
                        ah_sink *error) {
  return forgetful_inner->secret_put(host, key, value, AH_VERSION_ANY, version, error);
}
} // namespace

BOOST_FIXTURE_TEST_CASE(a_table_that_ignores_expected_versions_fails_the_checks, Conformance) {
  forgetful_inner = real.table();
  ah_host_services broken = *real.table();
  broken.secret_put = &forgetful_put;
  auto [status, report] = conformance_on(&broken);
  BOOST_TEST(status == AH_INTERNAL);
  BOOST_TEST(report.at("code").as_string() == "nonconformant");
  const std::string failed = failed_rules(report);
  BOOST_TEST(contains(failed, "expected 0 on an existing key is a conflict"), failed);
  BOOST_TEST(contains(failed, "a writer expecting the old version is a conflict"), failed);
}

namespace {
// Counts what crosses the seam into `log`, then hands it to the host's own table.
const ah_host_services *counted_inner = nullptr;
int log_calls = 0;
void counting_log(void *host, ah_log_level level, ah_str message, ah_str fields) {
  ++log_calls;
  counted_inner->log(host, level, message, fields);
}

struct QuietHost : Fixture {
  std::FILE *warn_file = std::tmpfile();
  host::Logger warn_logger{warn_file, AH_LOG_WARN};
  host::ServiceTable warn_services{"probe", store.get(), warn_logger,
                                   [] { return std::int64_t{42}; }};
  ~QuietHost() { std::fclose(warn_file); }

  // The probe's answer to log_debug on a copy of the warn-level table cut to `size`.
  std::string log_debug_with_table_of(std::uint32_t size) {
    counted_inner = warn_services.table();
    ah_host_services table = *warn_services.table();
    table.log = &counting_log;
    table.struct_size = size;
    log_calls = 0;
    auto inst = Instance::create(lib, &table);
    BOOST_REQUIRE(inst);
    auto r = inst.value().invoke("log_debug", "{}");
    BOOST_REQUIRE(r);
    return r.value();
  }
};
} // namespace

BOOST_FIXTURE_TEST_CASE(the_table_carries_the_hosts_log_level_as_abi_1_2, QuietHost) {
  BOOST_TEST(services->table()->abi_minor == 5u);
  BOOST_TEST(services->table()->log_level == AH_LOG_DEBUG);
  BOOST_TEST(warn_services.table()->log_level == AH_LOG_WARN);
}

BOOST_FIXTURE_TEST_CASE(debug_lines_below_the_hosts_level_never_cross_the_seam, QuietHost) {
  BOOST_TEST(log_debug_with_table_of(sizeof(ah_host_services)) == R"({"logs_debug":false})");
  BOOST_TEST(log_calls == 0);
}

BOOST_FIXTURE_TEST_CASE(with_an_abi_1_1_host_the_plugin_logs_every_level_as_before, QuietHost) {
  // The field is there in memory (WARN), but the table's size says the host predates it.
  BOOST_TEST(log_debug_with_table_of(offsetof(ah_host_services, log_level)) ==
             R"({"logs_debug":true})");
  BOOST_TEST(log_calls == 1);
}

// The plugin unit tests' fake host keeps the store's rules (an empty value is a value, a
// delete keeps the counter, ...), or those tests would prove the plugin against other rules.
// It does not check keys: the only checks it may fail are the bad-key and namespace ones (the
// batch's per-item check includes a bad key); it serves one plugin, so it has no namespaces.
BOOST_AUTO_TEST_CASE(the_plugin_tests_fake_host_keeps_every_rule_but_key_checks) {
  autohost::test::FakeHost fake;
  auto [status, report] = conformance_on(fake.table());
  int key_checks = 0;
  for (const auto &c : report.at("checks").as_array()) {
    const std::string rule(c.at("rule").as_string());
    const bool about_keys = contains(rule, "bad key") || contains(rule, "namespace") ||
                            rule == "a batch answers each item with put's rules, in order";
    key_checks += about_keys ? 1 : 0;
    BOOST_TEST((about_keys || c.at("result").as_string() == "pass"), boost::json::serialize(c));
  }
  BOOST_TEST(key_checks > 0);
  BOOST_TEST(report.at("passed").as_int64() >= 20);
}

// What secret_get and `secrets` leave behind of a decrypted value: zeros in the whole buffer,
// including bytes past the end of a shorter value that once held a longer one.
BOOST_AUTO_TEST_CASE(wipe_zeroes_the_whole_buffer_it_keeps) {
  std::string text(200, 's');
  text.resize(10); // the buffer still holds 190 more 's' past the end
  const char *buffer = text.data();
  const std::size_t capacity = text.capacity();
  BOOST_REQUIRE(capacity >= 200u);
  { const autohost::host::WipeOnExit wiped(text); }
  BOOST_TEST(text.empty());
  BOOST_TEST(text.data() == buffer); // the same buffer, not a new one
  BOOST_TEST(text.capacity() == capacity);
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < capacity; ++i)
    nonzero += buffer[i] != 0 ? 1 : 0;
  BOOST_TEST(nonzero == 0u);
}

namespace {

// Every count the host passes on, as "plugin name label=value,... +delta" lines.
struct RecordedCounts : host::CounterSink {
  std::mutex mutex;
  std::vector<std::string> seen;
  void add(std::string_view plugin, std::string_view name, const host::CounterLabels &labels,
           std::uint64_t delta) override {
    std::string line = std::string(plugin) + " " + std::string(name) + " ";
    for (const auto &[k, v] : labels)
      line += k + "=" + v + ",";
    line += "+" + std::to_string(delta);
    const std::lock_guard lock(mutex);
    seen.push_back(line);
  }
};

struct CountingHost : Fixture {
  RecordedCounts counts;
  host::ServiceTable counting{"probe", store.get(), logger, [] { return std::int64_t{42}; },
                              {},      &counts};
  std::unique_ptr<Instance> counter;
  CountingHost() {
    auto i = Instance::create(lib, counting.table());
    BOOST_REQUIRE(i);
    counter = std::make_unique<Instance>(std::move(i).value());
  }
  // The probe's answer to count with `input`.
  std::string count(const std::string &input) {
    auto r = counter->invoke("count", input);
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().body));
    return r.value();
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(a_plugins_counts_reach_the_hosts_sink_with_sorted_labels, CountingHost) {
  BOOST_TEST(
      count(R"({"name":"http_answers","labels":"{\"http_status\":\"200\",\"api_code\":\"\"}"})") ==
      R"({"counts":true})");
  BOOST_TEST(count(R"({"name":"retries","delta":5})") == R"({"counts":true})");
  BOOST_TEST(counts.seen ==
                 (std::vector<std::string>{"probe http_answers api_code=,http_status=200,+1",
                                           "probe retries +5"}),
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_count_that_breaks_the_rules_is_dropped_with_one_warning, CountingHost) {
  const std::vector<std::string> bad = {
      R"({"name":"Upper"})",
      R"({"name":"1st"})",
      R"({"name":""})",
      R"({"name":")" + std::string(65, 'a') + R"("})",
      R"({"name":"not_object","labels":"[1]"})",
      R"({"name":"not_json","labels":"{"})",
      R"({"name":"number_value","labels":"{\"a\":1}"})",
      R"({"name":"host_label","labels":"{\"plugin\":\"other\"}"})",
      R"({"name":"bad_label","labels":"{\"A-b\":\"x\"}"})",
      R"({"name":"long_value","labels":"{\"a\":\")" + std::string(65, 'x') + R"(\"}"})",
      R"({"name":"five_labels","labels":"{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\",\"e\":\"1\"}"})",
  };
  for (const auto &input : bad)
    count(input);
  count(R"({"name":"not_json","labels":"{"})"); // the same name again: no second warning
  BOOST_TEST(counts.seen.empty());
  const std::string text = log_text();
  std::size_t warnings = 0;
  for (std::size_t at = 0;
       (at = text.find("a plugin's counter was dropped", at)) != std::string::npos; ++at)
    ++warnings;
  BOOST_TEST(warnings == bad.size(), text);
  BOOST_TEST(contains(text, "counter 'not_json': the labels are not a JSON object"), text);
  BOOST_TEST(contains(text, "counter 'host_label': the label 'plugin' is the host's own"), text);
  BOOST_TEST(contains(text, "counter 'five_labels': more than 4 labels"), text);
  BOOST_TEST(contains(text, "counter 'long_value': label 'a' is longer than 64 bytes"), text);
  // A value at the limits is kept.
  count(R"({"name":")" + std::string(64, 'a') + R"(","labels":"{\"a\":\")" + std::string(64, 'x') +
        R"(\"}"})");
  BOOST_TEST(counts.seen.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(without_a_sink_or_on_an_abi_1_2_table_a_plugin_keeps_no_counts,
                        CountingHost) {
  // No sink: the table's count is NULL, and the plugin sees that.
  BOOST_TEST(services->table()->count == nullptr);
  auto r = probe->invoke("count", R"({"name":"x"})");
  BOOST_REQUIRE(r);
  BOOST_TEST(r.value() == R"({"counts":false})");
  // A sink, but a table whose size says the host predates 1.3: the field is not read.
  ah_host_services old = *counting.table();
  old.struct_size = offsetof(ah_host_services, count);
  auto inst = Instance::create(lib, &old);
  BOOST_REQUIRE(inst);
  auto answer = inst.value().invoke("count", R"({"name":"x"})");
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer.value() == R"({"counts":false})");
  BOOST_TEST(counts.seen.empty());
}
