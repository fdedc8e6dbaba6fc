// A test plugin that exercises every host service and status through the real ABI; built
// in several variants (PROBE_VARIANT) to cover the loader's failure paths.
#include <autohost/plugin.hpp>

#include <boost/json.hpp>

#include <sys/prctl.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

#define PROBE_NORMAL 0
#define PROBE_THROWS_IN_CREATE 1
#define PROBE_THROWS_IN_INVOKE 2
#define PROBE_WRONG_ABI 3
#define PROBE_FAILS_CREATE 4
#define PROBE_NO_ENTRY 5
#define PROBE_ABI_1_0 6 // a table as a plugin built against abi.h 1.0 or 1.1 declares it
#define PROBE_ABI_1_1 7
#define PROBE_ABORTS_ON_LOAD 8

#if PROBE_VARIANT == PROBE_ABORTS_ON_LOAD
// Runs at dlopen, before the loader can check anything: what a broken or hostile file does.
__attribute__((constructor)) void abort_on_load() { std::abort(); }
#endif

std::string str(const json::object &o, std::string_view k) {
  const json::value *v = o.if_contains(k);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// "message" `repeat` times (once without "repeat"): what a third-party plugin passing a
// server's huge text on would send.
std::string repeated(const json::object &o) {
  const json::value *repeat = o.if_contains("repeat");
  std::string text;
  for (auto n = repeat != nullptr ? repeat->to_number<std::int64_t>() : 1; n > 0; --n)
    text += str(o, "message");
  return text;
}

ah_status status_from(std::string_view name) {
  for (int s = AH_OK; s <= AH_INTERNAL; ++s) {
    if (autohost::status_name(static_cast<ah_status>(s)) == name)
      return static_cast<ah_status>(s);
  }
  throw std::invalid_argument("unknown status");
}

class Probe final : public autohost::PluginInstance {
public:
  explicit Probe(autohost::HostServices host) : host_(host) {}

  Result<std::string> invoke(std::string_view action, std::string_view input,
                             const autohost::CallContext &ctx) override {
    if (PROBE_VARIANT == PROBE_THROWS_IN_INVOKE)
      throw std::runtime_error("probe exploded in invoke");
    const json::object in = json::parse(input.empty() ? "{}" : input).as_object();
    if (action == "echo") {
      json::object out{{"input", in},
                       {"account", ctx.account()},
                       {"idempotency_key", ctx.idempotency_key()},
                       {"now_ms", host_.now_ms()}};
      return json::serialize(out);
    }
    if (action == "fail") {
      const ah_status status = status_from(str(in, "status"));
      if (in.contains("repeat")) {
        // A body the plugin builds itself, holding the huge text whole.
        return Error{status, json::serialize(json::object{{"code", autohost::status_name(status)},
                                                          {"message", repeated(in)}})};
      }
      return Error::make(status, "probe failed as asked");
    }
    if (action == "log") {
      // With "repeat", the repeated message goes in the fields as "text" too.
      const std::string fields =
          in.contains("repeat")
              ? json::serialize(json::object{{"probe", true}, {"text", repeated(in)}})
              : std::string(R"({"probe":true})");
      host_.log(AH_LOG_WARN, str(in, "message"), fields);
      return std::string("{}");
    }
    if (action == "big")
      return json::serialize(json::object{{"text", repeated(in)}, {"size", "big"}});
    if (action == "log_debug") {
      // What a plugin does before building an expensive debug line (ABI 1.2 log_level).
      const bool wanted = host_.logs(AH_LOG_DEBUG);
      host_.log(AH_LOG_DEBUG, "probe debug line");
      return json::serialize(json::object{{"logs_debug", wanted}});
    }
    if (action == "count") {
      // A counter as a plugin keeps one (ABI 1.3 count); "labels" is passed as given.
      const bool kept = host_.counts();
      const std::string labels = in.contains("labels") ? str(in, "labels") : std::string();
      const auto delta = in.contains("delta") ? in.at("delta").to_number<std::uint64_t>() : 1;
      host_.count(str(in, "name"), labels, delta);
      return json::serialize(json::object{{"counts", kept}});
    }
    if (action == "secret_get") {
      auto got = host_.secret_get(str(in, "key"));
      if (!got)
        return std::move(got).error();
      if (!got.value())
        return std::string(R"({"found":false})");
      return json::serialize(json::object{
          {"found", true}, {"value", got.value()->value}, {"version", got.value()->version}});
    }
    if (action == "secret_put") {
      const auto expected = in.contains("expected_version")
                                ? in.at("expected_version").to_number<std::uint64_t>()
                                : AH_VERSION_ANY;
      auto put = host_.secret_put(str(in, "key"), str(in, "value"), expected);
      if (!put)
        return std::move(put).error();
      return json::serialize(json::object{{"version", put.value()}});
    }
    if (action == "secret_put_many")
      return put_many(in);
    if (action == "secret_list") {
      auto listed = host_.secret_list(str(in, "prefix"));
      if (!listed)
        return std::move(listed).error();
      return listed.value();
    }
    if (action == "secret_delete") {
      auto removed = host_.secret_delete(str(in, "key"), AH_VERSION_ANY);
      if (!removed)
        return std::move(removed).error();
      return std::string("{}");
    }
    if (action == "process") {
      // What the host did to its own process before loading plugins: dumpable, core limit.
      // And what a plugin could read of the master key: the environment, and the text the
      // process started with (/proc/self/environ).
      rlimit core{};
      ::getrlimit(RLIMIT_CORE, &core);
      std::ifstream environ_file("/proc/self/environ", std::ios::binary);
      const std::string environ_text((std::istreambuf_iterator<char>(environ_file)),
                                     std::istreambuf_iterator<char>());
      return json::serialize(
          json::object{{"dumpable", ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)},
                       {"core_limit", static_cast<std::uint64_t>(core.rlim_cur)},
                       {"core_hard_limit", static_cast<std::uint64_t>(core.rlim_max)},
                       {"master_key_in_env", std::getenv("AUTOHOST_MASTER_KEY") != nullptr},
                       {"proc_environ_bytes", environ_text.size()},
                       {"master_key_in_proc_environ",
                        environ_text.find("AUTOHOST_MASTER_KEY=") != std::string::npos}});
    }
    if (action == "wait_for_cancel") {
      // Returns once the host cancels the call or its deadline passes. With "started_file",
      // creates that file first, so a test can tell the call is running.
      if (const auto *file = in.if_contains("started_file"); file != nullptr && file->is_string())
        std::ofstream(std::string(file->as_string())) << "started\n";
      while (!ctx.cancelled() && (ctx.deadline_ms() == 0 || host_.now_ms() < ctx.deadline_ms())) {
        ctx.progress(R"({"waiting":true})");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      return Error::make(AH_CANCELLED, "probe was cancelled");
    }
    return Error::make(AH_NOT_FOUND, "probe has no action '" + std::string(action) + "'");
  }

  Result<std::string> run_job(std::string_view job, const autohost::CallContext &) override {
    return Error::make(AH_NOT_FOUND, "probe has no job '" + std::string(job) + "'");
  }

private:
  // The raw ABI 1.1 call: {"writes": [{"key", "value", "expected_version"}]} gives
  // {"status", "error", "items": [{"status", "version"}]} whatever the call's status.
  Result<std::string> put_many(const json::object &in) const {
    const ah_host_services *raw = host_.raw();
    if (!AH_HAS_FIELD(raw, ah_host_services, secret_put_many) || raw->secret_put_many == nullptr) {
      return Error::make(AH_NOT_FOUND, "the host has no secret_put_many");
    }
    const json::array &writes = in.at("writes").as_array();
    std::vector<std::string> text; // keys and values, alive for the call
    text.reserve(2 * writes.size());
    std::vector<ah_secret_write> items;
    for (const auto &w : writes) {
      const json::object &o = w.as_object();
      text.push_back(str(o, "key"));
      text.push_back(str(o, "value"));
      items.push_back(
          ah_secret_write{autohost::to_ah(text[text.size() - 2]), autohost::to_ah(text.back()),
                          o.at("expected_version").to_number<std::uint64_t>(), AH_INTERNAL, 12345});
    }
    autohost::StringSink error;
    const ah_status st = raw->secret_put_many(raw->host, items.data(), items.size(), &error.sink);
    json::array results;
    for (const auto &item : items) {
      results.push_back(
          json::object{{"status", autohost::status_name(static_cast<ah_status>(item.status))},
                       {"version", item.new_version}});
    }
    return json::serialize(json::object{
        {"status", autohost::status_name(st)}, {"error", error.text}, {"items", results}});
  }

  autohost::HostServices host_;
};

Result<std::unique_ptr<autohost::PluginInstance>> create(autohost::HostServices host,
                                                         std::string_view config) {
  if (PROBE_VARIANT == PROBE_THROWS_IN_CREATE)
    throw std::runtime_error("probe exploded in create");
  if (PROBE_VARIANT == PROBE_FAILS_CREATE || config.find("\"fail\"") != std::string_view::npos) {
    return Error::make(AH_INVALID_INPUT, "probe config rejected");
  }
  return std::unique_ptr<autohost::PluginInstance>(new Probe(host));
}

using Adapter = autohost::PluginAdapter<&create>;

constexpr const char manifest[] = R"({"name":"probe","actions":[
  {"name":"echo","description":"returns its input and call context","input_schema":{"type":"object"},"output_schema":{"type":"object"}},
  {"name":"fail","description":"fails with the given status","input_schema":{"type":"object"},"output_schema":{"type":"object"}},
  {"name":"big","description":"succeeds with its message repeated as text","input_schema":{"type":"object"},"output_schema":{"type":"object"}},
  {"name":"wait_for_cancel","description":"returns once the call is cancelled or its deadline passes","input_schema":{"type":"object"},"output_schema":{"type":"object"}}
],"jobs":[]})";

constexpr ah_plugin make_table() {
  ah_plugin t = Adapter::table(PROBE_NAME, "9.9.9", manifest);
  if (PROBE_VARIANT == PROBE_WRONG_ABI)
    t.abi_major = AH_ABI_MAJOR + 1;
  if (PROBE_VARIANT == PROBE_ABI_1_0) {
    t.abi_minor = 0;
    t.host_services_size = offsetof(ah_host_services, secret_put_many);
  }
  if (PROBE_VARIANT == PROBE_ABI_1_1) {
    t.abi_minor = 1;
    t.host_services_size = offsetof(ah_host_services, log_level);
  }
  return t;
}
constexpr ah_plugin table = make_table();

} // namespace

#if PROBE_VARIANT != PROBE_NO_ENTRY
extern "C" __attribute__((visibility("default"))) const ah_plugin *autohost_plugin_entry(void) {
  return &table;
}
#else
extern "C" __attribute__((visibility("default"))) const ah_plugin *some_other_symbol(void) {
  return &table;
}
#endif
