// Loading plugins through the ABI: every failure path, exceptions kept inside the plugin,
// and a thousand load/create/invoke/destroy/unload cycles.
#define BOOST_TEST_MODULE loader
#include <boost/test/unit_test.hpp>

#include "errors.hpp"
#include "log.hpp"
#include "plugin_registry.hpp"
#include "result_print.hpp"
#include "sanitizer.hpp"
#include "services.hpp"
#include "store/sql_secret_store.hpp"
#include "temp_dir.hpp"
#include "text_match.hpp"

#include <autohost/host.hpp>

#include <fstream>

using namespace autohost;
using autohost::test::required_env;
using autohost::test::TempDir;
namespace fs = std::filesystem;

namespace {

fs::path test_plugin(const std::string &name) {
  return fs::path(required_env("TEST_PLUGIN_DIR")) / name;
}
fs::path threads_plugin() { return required_env("THREADS_PLUGIN"); }

LoadError load_error(const fs::path &file) {
  auto lib = Library::open(file);
  BOOST_REQUIRE(!lib.has_value());
  return lib.error();
}

using autohost::test::contains;

// Host services with no store and a quiet logger, for instances that need none.
struct Services {
  host::Logger logger{stderr, AH_LOG_ERROR};
  host::ServiceTable services{"test", nullptr, logger, [] { return std::int64_t{1234}; }};
};

} // namespace

BOOST_AUTO_TEST_CASE(missing_file) {
  const auto e = load_error("/nonexistent/dir/threads.so");
  BOOST_TEST((e.kind == LoadFailure::missing_file));
  BOOST_TEST(contains(e.message, "/nonexistent/dir/threads.so"));
  BOOST_TEST(contains(e.message, "does not exist"));
}

BOOST_AUTO_TEST_CASE(text_file_named_so) {
  const auto e = load_error(test_plugin("text_file.so"));
  BOOST_TEST((e.kind == LoadFailure::not_a_shared_object));
  BOOST_TEST(contains(e.message, "text_file.so"));
  BOOST_TEST(contains(e.message, "not a shared object"));
}

BOOST_AUTO_TEST_CASE(truncated_shared_objects_are_refused_before_dlopen) {
  // dlopen maps segments past the end of a truncated file and the host dies of SIGBUS;
  // the loader must catch that first.
  TempDir dir;
  const std::string bytes = test::read_file(threads_plugin());
  for (size_t cut : {size_t{40}, size_t{600}, size_t{5000}, size_t{50000}}) {
    std::ofstream(dir / "cut.so", std::ios::binary | std::ios::trunc) << bytes.substr(0, cut);
    const auto e = load_error(dir / "cut.so");
    BOOST_TEST((e.kind == LoadFailure::not_a_shared_object), cut);
    BOOST_TEST(contains(e.message, "cut.so"));
  }
}

// A position-independent executable (the default, ELF type ET_DYN) is a shared object to the
// ELF check and fails at dlopen or for want of the entry symbol; the sanitizer trees link
// autohost position-dependent (ET_EXEC), which the ELF check refuses first.
BOOST_AUTO_TEST_CASE(executable_is_not_a_plugin) {
  const std::string bin = required_env("AUTOHOST_BIN");
  const std::string header = test::read_file(bin).substr(0, 18);
  BOOST_TEST_REQUIRE(header.size() == 18u);
  const int elf_type = static_cast<unsigned char>(header[16]); // e_type, little-endian
  const auto e = load_error(bin);
  if (elf_type == 2) { // ET_EXEC
    BOOST_TEST((e.kind == LoadFailure::not_a_shared_object));
  } else {
    BOOST_TEST(elf_type == 3); // ET_DYN
    BOOST_TEST((e.kind == LoadFailure::cannot_load || e.kind == LoadFailure::no_entry_symbol));
  }
  BOOST_TEST(contains(e.message, "autohost"));
}

BOOST_AUTO_TEST_CASE(shared_object_without_entry_symbol) {
  const auto e = load_error(test_plugin("no_entry.so"));
  BOOST_TEST((e.kind == LoadFailure::no_entry_symbol));
  BOOST_TEST(contains(e.message, "not an autohost plugin"));
  BOOST_TEST(contains(e.message, AH_ENTRY_SYMBOL));
}

BOOST_AUTO_TEST_CASE(wrong_abi_major) {
  const auto e = load_error(test_plugin("wrong_abi.so"));
  BOOST_TEST((e.kind == LoadFailure::abi_mismatch));
  BOOST_TEST(contains(e.message, "wrong_abi.so"));
  const std::string minor = std::to_string(AH_ABI_MINOR);
  BOOST_TEST(contains(e.message, "plugin ABI 2." + minor));
  BOOST_TEST(contains(e.message, "this host speaks ABI 1." + minor));
}

BOOST_AUTO_TEST_CASE(plugins_built_for_abi_1_0_and_1_1_load_and_run_on_this_host) {
  // Their tables declare the older minor and the smaller services table they were built
  // with; a 1.2 host accepts them and they use only what they know.
  for (const char *file : {"abi_1_0.so", "abi_1_1.so"}) {
    Services s;
    auto lib = Library::open(test_plugin(file));
    BOOST_REQUIRE_MESSAGE(lib, file);
    BOOST_TEST(lib.value()->table().abi_minor < AH_ABI_MINOR);
    auto inst = Instance::create(lib.value(), s.services.table());
    BOOST_REQUIRE(inst);
    auto r = inst->invoke("echo", R"({"n":1})");
    BOOST_TEST(r.has_value(), file);
  }
}

BOOST_AUTO_TEST_CASE(throwing_create_becomes_an_internal_error) {
  Services s;
  auto lib = Library::open(test_plugin("throws_create.so"));
  BOOST_REQUIRE(lib);
  auto inst = Instance::create(lib.value(), s.services.table());
  BOOST_REQUIRE(!inst);
  BOOST_TEST(inst.error().status == AH_INTERNAL);
  BOOST_TEST(contains(host::error_message(inst.error()), "probe exploded in create"));
}

BOOST_AUTO_TEST_CASE(failing_create_keeps_its_status_and_message) {
  Services s;
  auto lib = Library::open(test_plugin("fails_create.so"));
  BOOST_REQUIRE(lib);
  auto inst = Instance::create(lib.value(), s.services.table());
  BOOST_REQUIRE(!inst);
  BOOST_TEST(inst.error().status == AH_INVALID_INPUT);
  BOOST_TEST(host::error_message(inst.error()) == "probe config rejected");
}

BOOST_AUTO_TEST_CASE(throwing_invoke_becomes_an_internal_error) {
  Services s;
  auto lib = Library::open(test_plugin("throws_invoke.so"));
  BOOST_REQUIRE(lib);
  auto inst = Instance::create(lib.value(), s.services.table());
  BOOST_REQUIRE(inst);
  auto r = inst->invoke("echo", "{}");
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().status == AH_INTERNAL);
  BOOST_TEST(contains(host::error_message(r.error()), "probe exploded in invoke"));
}

BOOST_AUTO_TEST_CASE(threads_plugin_rejects_bad_config_naming_the_key) {
  Services s;
  auto lib = Library::open(threads_plugin());
  BOOST_REQUIRE(lib);
  BOOST_TEST(lib.value()->name() == "threads");
  for (const auto &[config, expected] : std::vector<std::pair<std::string, std::string>>{
           {R"({"graph_base_url":"http://graph.threads.net"})", "'graph_base_url'"},
           {R"({"api_version":"1.0"})", "'api_version'"},
           {R"({"token_placement":"cookie"})", "'token_placement'"},
           {R"({"colour":"blue"})", "'colour' is not a known setting"},
           {R"({"ca_file":"/nonexistent/ca.pem"})", "'ca_file' /nonexistent/ca.pem cannot be read"},
           {R"({"container_wait":{"video":{"budget_s":-1}}})", "container_wait.video.budget_s"},
           {R"({"request_timeout_s":0})", "'request_timeout_s'"},
           // Huge numbers are refused, not cast to a millisecond count that overflows.
           {R"({"request_timeout_s":1.1e65})", "'request_timeout_s' must be a number of seconds"},
           {R"({"container_wait":{"text":{"budget_s":1e300}}})", "container_wait.text.budget_s"},
           {R"([1,2])", "must be a JSON object"},
           {R"({"graph_base_url":)", "not valid JSON"}}) {
    auto inst = Instance::create(lib.value(), s.services.table(), config);
    BOOST_REQUIRE(!inst);
    BOOST_TEST(inst.error().status == AH_INVALID_INPUT);
    BOOST_TEST(contains(host::error_message(inst.error()), expected),
               host::error_message(inst.error()));
  }
}

BOOST_AUTO_TEST_CASE(call_context_reaches_the_plugin) {
  Services s;
  auto lib = Library::open(test_plugin("probe.so"));
  BOOST_REQUIRE(lib);
  auto inst = Instance::create(lib.value(), s.services.table());
  BOOST_REQUIRE(inst);
  CallOptions call;
  call.account = "alice";
  call.idempotency_key = "run-42";
  auto r = inst->invoke("echo", R"({"x":1})", call);
  BOOST_REQUIRE(r);
  BOOST_TEST(contains(r.value(), R"("account":"alice")"));
  BOOST_TEST(contains(r.value(), R"("idempotency_key":"run-42")"));
  BOOST_TEST(contains(r.value(), R"("now_ms":1234)"));
  BOOST_TEST(contains(r.value(), R"("input":{"x":1})"));
}

BOOST_AUTO_TEST_CASE(secret_calls_without_a_store_say_why) {
  Services s;
  s.services.set_store_unavailable_reason("store is locked for the test");
  auto lib = Library::open(test_plugin("probe.so"));
  auto inst = Instance::create(lib.value(), s.services.table());
  auto r = inst->invoke("secret_get", R"({"key":"k"})");
  BOOST_REQUIRE(!r);
  BOOST_TEST(host::error_message(r.error()) == "store is locked for the test");
}

BOOST_AUTO_TEST_CASE(registry_reports_broken_files_and_shadowed_names) {
  host::PluginSearch search;
  search.files = {test_plugin("probe.so"), test_plugin("probe.so"), test_plugin("wrong_abi.so")};
  search.required_dirs = {"/nonexistent/plugins"};
  search.optional_dirs = {"/also/nonexistent"};
  const auto registry = host::PluginRegistry::discover(search);
  BOOST_TEST(registry.plugins().size() == 1u);
  BOOST_TEST(registry.find("probe") != nullptr);
  BOOST_TEST(registry.find("threads") == nullptr);
  BOOST_TEST(registry.shadowed().size() == 1u);
  BOOST_REQUIRE_EQUAL(registry.broken().size(), 2u);
  BOOST_TEST((registry.broken()[0].error.kind == LoadFailure::abi_mismatch));
  BOOST_TEST(contains(registry.broken()[1].error.message, "/nonexistent/plugins does not exist"));
}

// Under AddressSanitizer every load registers and every unload checks the plugin's
// instrumented globals (about 0.4 s a cycle), and LeakSanitizer reports a leak of even one
// cycle at exit, so a hundred cycles prove as much there.
constexpr int load_cycles = autohost::test::address_sanitizer ? 100 : 1000;

BOOST_AUTO_TEST_CASE(load_create_invoke_destroy_unload_cycles_leave_nothing_behind) {
  TempDir dir;
  auto store = store::SqlSecretStore::open(
      {dir / "store.db", store::KeySource{std::string(64, 'a'), dir / "master.key"}});
  BOOST_REQUIRE(store);
  BOOST_REQUIRE(store.value()->put("threads/accounts/alice", "{}", 0));
  host::Logger logger(stderr, AH_LOG_ERROR);
  host::ServiceTable services("threads", store.value().get(), logger, [] { return 0; });
  for (int i = 0; i < load_cycles; ++i) {
    auto lib = Library::open(threads_plugin());
    BOOST_REQUIRE(lib);
    auto inst = Instance::create(lib.value(), services.table(), R"({"api_version":"v1.0"})");
    BOOST_REQUIRE(inst);
    auto r = inst->invoke("info", "{}");
    BOOST_REQUIRE(r);
    BOOST_REQUIRE(contains(r.value(), R"("accounts":["alice"])"));
    // `inst` (declared after `lib`) is destroyed first, then the last reference to the
    // library goes and the file is unloaded.
  }
  BOOST_TEST(!contains(test::read_file("/proc/self/maps"), threads_plugin().filename().string()),
             "the plugin is still mapped after its last instance and library were released");
}
