// What the daemon suites share on top of token_world.hpp: `autohost run` as a background
// process (stderr to a file, stopped with a signal within a bound), instants as RFC 3339
// text, and reading runs and sandbox posts back.
#pragma once

#include "token_world.hpp"

#include <boost/process.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>

namespace daemon_test {

using namespace token_test;
namespace bp = boost::process;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The fast container polling the daemon suites use (the sandbox's delays are set to match).
inline constexpr const char *fast_polling =
    R"(, "container_wait": {"text": {"first_check_s": 0.1, "interval_s": 0.2},
       "image": {"first_check_s": 0.2, "interval_s": 0.2},
       "video": {"first_check_s": 0.3, "interval_s": 0.3}})";

// Now plus `seconds` (real time) as "YYYY-MM-DDTHH:MM:SSZ".
inline std::string utc_in(std::int64_t seconds) {
  const std::time_t t = std::time(nullptr) + seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// `autohost run ARGS` in the background with the fixture's environment, changed by
// `overrides` (e.g. a state directory of its own), started through `launcher` when given
// (a command that execs the rest, e.g. `ip netns exec NAME`).
class DaemonProcess {
public:
  DaemonProcess(Cli &cli, const std::vector<std::string> &args,
                const std::map<std::string, std::optional<std::string>> &overrides = {},
                const std::vector<std::string> &launcher = {})
      : cli_(cli) {
    bp::environment env = boost::this_process::environment();
    auto wanted = cli.env();
    for (const auto &[name, value] : overrides)
      wanted[name] = value;
    for (const auto &[name, value] : wanted) {
      if (value) {
        env[name] = *value;
      } else {
        env.erase(name);
      }
    }
    std::vector<std::string> all = launcher;
    all.push_back(required_env("AUTOHOST_BIN"));
    all.push_back("run");
    all.insert(all.end(), args.begin(), args.end());
    const std::string program = all.front();
    all.erase(all.begin());
    child_ = bp::child(program, bp::args(all), env, bp::std_out > bp::null,
                       bp::std_err > (io_ / "stderr").string(), bp::std_in < bp::null);
  }
  DaemonProcess(const DaemonProcess &) = delete;
  DaemonProcess &operator=(const DaemonProcess &) = delete;
  ~DaemonProcess() {
    if (!stopped_)
      stop(SIGKILL, 30s);
  }

  pid_t pid() const { return child_.id(); }
  bool running() { return !stopped_ && child_.running(); }
  std::string log() const { return read_file(io_ / "stderr"); }

  // Waits until the log has a line containing `text`; false after `bound` or when the
  // daemon exited.
  bool wait_for_log(const std::string &text, std::chrono::seconds bound = 60s) {
    const auto until = Clock::now() + bound;
    while (Clock::now() < until) {
      if (contains(log(), text))
        return true;
      if (!running())
        return contains(log(), text);
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // Sends `signal` and waits up to `bound` for the exit; the exit code, or -1 when the
  // daemon did not exit in time (it is then killed) or died of a signal.
  int stop(int signal, std::chrono::seconds bound) {
    if (stopped_)
      return exit_code_;
    // Only a child not yet reaped is signalled: its pid cannot belong to anyone else.
    if (child_.running())
      ::kill(child_.id(), signal);
    const auto until = Clock::now() + bound;
    while (child_.running() && Clock::now() < until)
      std::this_thread::sleep_for(10ms);
    bool hung = false;
    if (child_.running()) {
      hung = true;
      ::kill(child_.id(), SIGKILL);
    }
    child_.wait();
    stopped_ = true;
    const int status = child_.native_exit_code();
    exit_code_ = !hung && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    cli_.all_output += log();
    return exit_code_;
  }

  // Seconds of CPU the daemon used so far (user + system), from /proc.
  double cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(child_.id()) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {
      if (i == 14)
        utime = std::stoll(field);
      if (i == 15) {
        stime = std::stoll(field);
        break;
      }
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

private:
  Cli &cli_;
  TempDir io_;
  bp::child child_;
  bool stopped_ = false;
  int exit_code_ = -1;
};

// `autohost runs --json` (newest first), optionally of one schedule.
inline json::array runs(Cli &c, const std::string &schedule = "") {
  std::vector<std::string> args = {"runs", "--json", "--limit", "1000"};
  if (!schedule.empty()) {
    args.push_back("--schedule");
    args.push_back(schedule);
  }
  auto r = c.cli(args);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "runs: " + r.err);
  return json::parse(r.out).as_array();
}

inline std::string status_of(const json::value &run) {
  return std::string(run.at("status").as_string());
}

// Published posts (not replies) in the sandbox, by text.
inline std::map<std::string, int> posts_by_text() {
  std::map<std::string, int> count;
  const json::value all = control("GET", "/__sandbox/posts");
  for (const auto &p : all.at("posts").as_array()) {
    const auto &o = p.as_object();
    if (const auto *text = o.if_contains("text"); text != nullptr && text->is_string()) {
      ++count[std::string(text->as_string())];
    }
  }
  return count;
}

inline std::int64_t publishes() {
  return control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64();
}

// Checks that each of `count` posts (`text_of(i)`) is in the sandbox exactly once and that
// nothing else was published; "N missing, N doubled" for the test's message.
template <class TextOf> std::string check_published_once(int count, TextOf text_of) {
  const auto published = posts_by_text();
  int missing = 0, doubled = 0;
  for (int i = 0; i < count; ++i) {
    const auto it = published.find(text_of(i));
    const int n = it == published.end() ? 0 : it->second;
    BOOST_TEST(n == 1, text_of(i) << " was published " << n << " times");
    missing += n == 0;
    doubled += n > 1;
  }
  BOOST_TEST(publishes() == count);
  return std::to_string(missing) + " missing, " + std::to_string(doubled) + " doubled";
}

// Waits until `done()` holds, checking every 100 ms; false after `bound`.
template <class F> bool eventually(F done, std::chrono::seconds bound) {
  const auto until = Clock::now() + bound;
  while (Clock::now() < until) {
    if (done())
      return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

} // namespace daemon_test
