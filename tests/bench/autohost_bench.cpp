// autohost-bench: runs one plugin action many times in-process, as a host does, and prints
// a JSON line of figures. The driver (run.py) uses it for the plugin side of the
// benchmarks; it is the plugin path with no process start per call.
//
//   autohost-bench --plugin threads.so --store FILE --config JSON --action NAME
//                  --inputs FILE.jsonl [--account NAME] [--threads N]
//
// Each line of the inputs file is one call's input. The master key comes from
// AUTOHOST_MASTER_KEY. Output: {"calls","ok","failed","first_error","seconds",
// "calls_per_s","p50_ms","p99_ms","max_rss_kb"}.
#include "../../host/log.hpp"
#include "../../host/services.hpp"
#include "../../host/store/sql_secret_store.hpp"

#include <autohost/host.hpp>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

namespace json = boost::json;
namespace po = boost::program_options;
using namespace autohost;

namespace {

struct Options {
  std::string plugin, store, config, action, inputs, account;
  int threads = 1;
};

std::vector<std::string> read_lines(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read the inputs file " + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty())
      lines.push_back(std::move(line));
  }
  return lines;
}

double percentile(std::vector<double> sorted, double p) {
  if (sorted.empty())
    return 0;
  std::sort(sorted.begin(), sorted.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

int run(const Options &o) {
  const char *key = std::getenv("AUTOHOST_MASTER_KEY");
  if (key == nullptr)
    throw std::runtime_error("AUTOHOST_MASTER_KEY is not set");
  auto store = store::SqlSecretStore::open({o.store, store::KeySource{key, {}}});
  if (!store)
    throw std::runtime_error("store: " + store.error().body);
  host::Logger logger(stderr, AH_LOG_WARN);
  auto clock = host::host_clock_from_env();
  if (!clock)
    throw std::runtime_error("clock: " + clock.error().body);
  auto library = Library::open(o.plugin);
  if (!library)
    throw std::runtime_error("plugin: " + library.error().message);
  // Under the plugin's own name: its secrets are in its namespace.
  host::ServiceTable services(std::string(library.value()->name()), store.value().get(), logger,
                              clock.value());
  auto instance = Instance::create(library.value(), services.table(), o.config);
  if (!instance)
    throw std::runtime_error("plugin create: " + instance.error().body);

  const auto inputs = read_lines(o.inputs);
  std::vector<double> latencies_ms(inputs.size());
  std::atomic<std::size_t> next{0}, ok{0};
  std::mutex error_mutex;
  std::string first_error;
  const auto begun = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < inputs.size();) {
      CallOptions call;
      call.account = o.account;
      const auto t0 = std::chrono::steady_clock::now();
      auto result = instance.value().invoke(o.action, inputs[i], call);
      latencies_ms[i] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (result) {
        ++ok;
      } else {
        const std::lock_guard lock(error_mutex);
        if (first_error.empty())
          first_error = result.error().body;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, o.threads); ++t)
    pool.emplace_back(worker);
  for (auto &t : pool)
    t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  json::object out{{"calls", inputs.size()},
                   {"ok", ok.load()},
                   {"failed", inputs.size() - ok.load()},
                   {"first_error", first_error},
                   {"seconds", seconds},
                   {"calls_per_s", seconds > 0 ? static_cast<double>(inputs.size()) / seconds : 0},
                   {"p50_ms", percentile(latencies_ms, 0.50)},
                   {"p99_ms", percentile(latencies_ms, 0.99)},
                   {"max_rss_kb", usage.ru_maxrss}};
  std::cout << json::serialize(out) << std::endl;
  return ok.load() == inputs.size() ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  po::options_description desc("autohost-bench options");
  desc.add_options()("help", "this text")("plugin", po::value(&o.plugin)->required(),
                                          "the plugin's shared object")(
      "store", po::value(&o.store)->required(), "the store file (created if missing)")(
      "config", po::value(&o.config)->default_value("{}"), "the plugin's config object (JSON)")(
      "action", po::value(&o.action)->required(), "the action to call")(
      "inputs", po::value(&o.inputs)->required(), "a file with one JSON input per line")(
      "account", po::value(&o.account)->default_value(""), "the call context's account")(
      "threads", po::value(&o.threads)->default_value(1), "concurrent callers");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help") != 0) {
      std::cout << desc << std::endl;
      return 0;
    }
    po::notify(vm);
    return run(o);
  } catch (const std::exception &e) {
    std::cerr << "autohost-bench: " << e.what() << std::endl;
    return 2;
  }
}
