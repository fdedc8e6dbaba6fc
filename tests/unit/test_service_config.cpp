// What a system service relies on without a daemon running: where the config file is looked
// for (user, XDG_CONFIG_DIRS, /etc/autohost) and the STATUS= text `systemctl status` shows.
#define BOOST_TEST_MODULE service_config
#include <boost/test/unit_test.hpp>

#include "cli/settings.hpp"
#include "daemon/service_notify.hpp"

#include <cstdlib>

using autohost::cli::config_search_path;
using autohost::daemon::service_status;
namespace fs = std::filesystem;

namespace {

// Sets (or, with nullptr, unsets) an environment variable for one test's scope.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name))
      old_ = old;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

private:
  const char *name_;
  std::optional<std::string> old_;
};

} // namespace

BOOST_AUTO_TEST_CASE(the_users_config_then_xdg_config_dirs_then_etc_autohost) {
  ScopedEnv home("HOME", "/home/op");
  ScopedEnv user("XDG_CONFIG_HOME", nullptr);
  {
    ScopedEnv dirs("XDG_CONFIG_DIRS", nullptr); // unset: the XDG default, /etc/xdg
    const std::vector<fs::path> want = {"/home/op/.config/autohost/config.json",
                                        "/etc/xdg/autohost/config.json",
                                        "/etc/autohost/config.json"};
    BOOST_TEST(config_search_path() == want, boost::test_tools::per_element());
  }
  {
    // In order; relative and empty entries are ignored, as the XDG rules say.
    ScopedEnv xdg_home("XDG_CONFIG_HOME", "/cfg");
    ScopedEnv dirs("XDG_CONFIG_DIRS", "/site/a::relative/b:/site/c");
    const std::vector<fs::path> want = {"/cfg/autohost/config.json", "/site/a/autohost/config.json",
                                        "/site/c/autohost/config.json",
                                        "/etc/autohost/config.json"};
    BOOST_TEST(config_search_path() == want, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(status_says_runs_in_flight_and_the_next_wake_in_utc) {
  using namespace std::chrono;
  const sys_seconds wake = sys_days{year{2026} / 12 / 3} + hours{19} + minutes{30};
  BOOST_TEST(service_status(2, wake) == "2 runs in flight; next wake 2026-12-03T19:30:00Z");
  BOOST_TEST(service_status(1, wake) == "1 run in flight; next wake 2026-12-03T19:30:00Z");
  BOOST_TEST(service_status(0, std::nullopt) == "0 runs in flight; nothing scheduled");
}
