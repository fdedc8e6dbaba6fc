// `autohost run` under a Type=notify systemd unit, without systemd: the test listens on the
// unit's notify socket (a Unix datagram socket, NOTIFY_SOCKET) and sets WATCHDOG_USEC as
// systemd does; a real daemon process, real SIGHUP/SIGTERM, real config files. Also where the
// config file is looked for (XDG_CONFIG_DIRS, below the user's).
#define BOOST_TEST_MODULE systemd
#include <boost/test/unit_test.hpp>

#include "cli_world.hpp"

#include <boost/process.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <thread>

using namespace autohost::test;
namespace bp = boost::process;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

void write_text(const std::filesystem::path &file, const std::string &text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::trunc) << text;
}

// The socket systemd listens on for a Type=notify unit: one datagram per sd_notify call.
class NotifySocket {
public:
  explicit NotifySocket(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    BOOST_TEST_REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    BOOST_TEST_REQUIRE(path_.string().size() < sizeof addr.sun_path);
    std::strcpy(addr.sun_path, path_.c_str());
    BOOST_TEST_REQUIRE(bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0,
                       std::strerror(errno));
  }
  ~NotifySocket() { close(fd_); }
  NotifySocket(const NotifySocket &) = delete;
  NotifySocket &operator=(const NotifySocket &) = delete;

  const std::filesystem::path &path() const { return path_; }

  // The next datagram, or "" when none came within `bound`.
  std::string next(std::chrono::milliseconds bound) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(bound.count())) <= 0)
      return "";
    char buf[4096];
    const auto n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

  // Reads datagrams until one contains `text` (returned) or `bound` passes (""); every one
  // read on the way is kept in `seen`.
  std::string await(const std::string &text, std::chrono::seconds bound = 60s) {
    const auto until = Clock::now() + bound;
    while (Clock::now() < until) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      std::string message = next(std::max(left, 1ms));
      if (message.empty())
        continue;
      seen.push_back(message);
      if (contains(message, text))
        return message;
    }
    return "";
  }

  std::vector<std::string> seen;

private:
  std::filesystem::path path_;
  int fd_ = -1;
};

struct Systemd : CliWorld {
  std::filesystem::path user_config = home / ".config/autohost/config.json";
  NotifySocket notify{home / "notify.sock"};
  std::filesystem::path log_file = home / "daemon.log";
  std::optional<bp::child> daemon;

  // `autohost run` as systemd starts it: NOTIFY_SOCKET, and WATCHDOG_USEC of 1 s.
  void start_daemon() {
    bp::environment env = boost::this_process::environment();
    auto wanted = private_autohost_env(home.path(), home / "state");
    wanted["NOTIFY_SOCKET"] = notify.path().string();
    wanted["WATCHDOG_USEC"] = "1000000";
    for (const auto &[name, value] : wanted) {
      if (value)
        env[name] = *value;
      else
        env.erase(name);
    }
    daemon.emplace(required_env("AUTOHOST_BIN"), bp::args({"run"}), env, bp::std_out > bp::null,
                   bp::std_err > log_file.string(), bp::std_in < bp::null);
  }
  std::string log() const { return read_file(log_file); }
  void signal(int signo) {
    BOOST_TEST_REQUIRE(daemon->running(), log());
    ::kill(daemon->id(), signo);
  }
  // SIGTERM, then the exit code (-1 when it did not exit within a minute: killed then).
  int stop() {
    signal(SIGTERM);
    const auto until = Clock::now() + 60s;
    while (daemon->running() && Clock::now() < until)
      std::this_thread::sleep_for(10ms);
    if (daemon->running()) {
      ::kill(daemon->id(), SIGKILL);
      daemon->wait();
      return -1;
    }
    daemon->wait();
    return daemon->exit_code();
  }
  ~Systemd() {
    if (daemon && daemon->running()) {
      ::kill(daemon->id(), SIGKILL);
      daemon->wait();
    }
  }
  // A reload: SIGHUP, then RELOADING=1 and READY=1 on the socket.
  void reload() {
    signal(SIGHUP);
    BOOST_TEST_REQUIRE(!notify.await("RELOADING=1").empty(), log());
    BOOST_TEST_REQUIRE(!notify.await("READY=1").empty(), log());
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(ready_status_watchdog_and_stopping_reach_the_notify_socket, Systemd) {
  start_daemon();
  BOOST_TEST_REQUIRE(!notify.await("READY=1").empty(), log());
  const std::string status = notify.await("STATUS=");
  BOOST_TEST(status == "STATUS=0 runs in flight; nothing scheduled", log());
  // With nothing scheduled the loop sleeps up to a minute; the watchdog (1 s) must hear from
  // it all the same, so three pings come well before a minute has passed.
  for (int i = 0; i < 3; ++i)
    BOOST_TEST_REQUIRE(!notify.await("WATCHDOG=1", 30s).empty(), log());

  BOOST_TEST(stop() == 0, log());
  BOOST_TEST(!notify.await("STOPPING=1", 5s).empty(), log());
}

BOOST_FIXTURE_TEST_CASE(a_reload_applies_a_good_config_and_reports_what_needs_a_restart, Systemd) {
  write_text(user_config, R"({"log_level": "warn"})");
  start_daemon();
  BOOST_TEST_REQUIRE(!notify.await("READY=1").empty(), log());
  BOOST_TEST(!contains(log(), R"("msg":"started")"), log()); // info: below warn

  write_text(user_config, R"({"log_level": "info", "plugins": {"threads": {"timeout_s": 5}}})");
  reload();
  const std::string after = log();
  BOOST_TEST(contains(after, "config reloaded"), after);
  BOOST_TEST(contains(after, R"("log_level":"info")"), after);
  BOOST_TEST(contains(after, R"("restart_needed":["plugins"])"), after);
  BOOST_TEST(contains(after, user_config.string()), after);

  // The new level holds: SIGTERM's info lines are written now.
  BOOST_TEST(stop() == 0, log());
  BOOST_TEST(contains(log(), R"("msg":"stopping")"), log());
}

BOOST_FIXTURE_TEST_CASE(a_reload_with_a_bad_config_keeps_the_running_one, Systemd) {
  write_text(user_config, R"({"log_level": "warn"})");
  start_daemon();
  BOOST_TEST_REQUIRE(!notify.await("READY=1").empty(), log());

  write_text(user_config, R"({"log_level": "warn", "plugins": )");
  reload();
  const std::string after = log();
  BOOST_TEST(contains(after, "config not reloaded; the running config stays"), after);
  BOOST_TEST(contains(after, "config file " + user_config.string()), after);
  BOOST_TEST(contains(after, "is not valid JSON"), after);
  BOOST_TEST(contains(after, R"("level":"error")"), after);
  BOOST_TEST(daemon->running(), after);

  // A level the new file names but could not give is not taken either.
  write_text(user_config, R"({"log_level": "loud"})");
  reload();
  BOOST_TEST(contains(log(), "must be debug, info, warn or error, not 'loud'"), log());

  // Still at warn (the default of a daemon is info): SIGTERM's info lines stay out.
  BOOST_TEST(stop() == 0, log());
  BOOST_TEST(!contains(log(), R"("msg":"stopping")"), log());
  BOOST_TEST(!notify.await("STOPPING=1", 5s).empty());
}

BOOST_FIXTURE_TEST_CASE(system_wide_configs_come_below_the_users, CliWorld) {
  // A file with an unknown setting is refused with its path named: that shows which file
  // was read. Two system directories, the first one listed wins; the user's beats both.
  TempDir system;
  const auto first = system / "first/autohost/config.json";
  const auto second = system / "second/autohost/config.json";
  const std::map<std::string, std::optional<std::string>> env = {
      {"XDG_CONFIG_DIRS", (system / "first").string() + ":" + (system / "second").string()}};

  auto none = run({"plugins"}, {}, env);
  BOOST_TEST(none.exit_code == 0, none.err);

  write_text(second, R"({"probe_second": 1})");
  auto r = run({"plugins"}, {}, env);
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(message_of(r) ==
             "config file " + second.string() + ": unknown setting 'probe_second'");

  write_text(first, R"({"probe_first": 1})");
  r = run({"plugins"}, {}, env);
  BOOST_TEST(message_of(r) == "config file " + first.string() + ": unknown setting 'probe_first'");

  write_text(home / ".config/autohost/config.json", R"({"log_level": "info"})");
  r = run({"plugins"}, {}, env);
  BOOST_TEST(r.exit_code == 0, r.err); // the user's file alone is read: nothing is merged

  // --config and AUTOHOST_CONFIG still come first.
  r = run({"--config", second.string(), "plugins"}, {}, env);
  BOOST_TEST(contains(message_of(r), second.string()), r.err);
}
