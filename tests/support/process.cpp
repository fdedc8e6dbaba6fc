// Runs a real child process (Boost.Process) with files for its standard streams, so large
// outputs can never deadlock the test.
#include "process.hpp"

#include "temp_dir.hpp"

#include <boost/process.hpp>

#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace autohost::test {
namespace bp = boost::process;

ProcessResult run_process(const std::filesystem::path &program,
                          const std::vector<std::string> &args, const ProcessOptions &options) {
  TempDir io;
  const auto in_file = io / "stdin";
  const auto out_file = io / "stdout";
  const auto err_file = io / "stderr";
  std::ofstream(in_file, std::ios::binary) << options.stdin_text;
  std::ofstream(err_file, std::ios::binary).flush(); // opened again, same inode, by the child

  bp::environment env = boost::this_process::environment();
  for (const auto &[name, value] : options.env) {
    if (value) {
      env[name] = *value;
    } else {
      env.erase(name);
    }
  }
  if (!options.stderr_identity_var.empty()) {
    struct stat st {};
    if (::stat(err_file.c_str(), &st) != 0)
      throw std::runtime_error("cannot stat " + err_file.string());
    env[options.stderr_identity_var] = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  }
  bp::child child(program.string(), bp::args(args), env,
                  bp::std_in<in_file.string(), bp::std_out> out_file.string(),
                  bp::std_err > err_file.string());
  // Only a child not yet reaped is signalled: its pid cannot belong to anyone else.
  while (options.signal_when && child.running()) {
    if (options.signal_when()) {
      ::kill(child.id(), options.signal_number);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  child.wait();
  return ProcessResult{child.exit_code(), read_file(out_file), read_file(err_file)};
}

std::map<std::string, std::optional<std::string>>
private_autohost_env(const std::filesystem::path &home, const std::filesystem::path &state) {
  return {{"HOME", home.string()},
          {"AUTOHOST_STATE_DIR", state.string()},
          {"XDG_CONFIG_HOME", std::nullopt},
          // No system-wide config (/etc/xdg/autohost/config.json) either.
          {"XDG_CONFIG_DIRS", (home / "no-system-config").string()},
          {"XDG_STATE_HOME", std::nullopt},
          {"AUTOHOST_CONFIG", std::nullopt},
          {"AUTOHOST_STORE", std::nullopt},
          {"AUTOHOST_PLUGIN_PATH", std::nullopt},
          {"AUTOHOST_MASTER_KEY", std::nullopt},
          {"AUTOHOST_MASTER_KEY_FILE", std::nullopt},
          {"AUTOHOST_LOG_LEVEL", std::nullopt},
          {"AUTOHOST_ALLOW_CORE_DUMPS", std::nullopt},
          {"JOURNAL_STREAM", std::nullopt},
          // A test run started by a systemd unit must not have its daemons notify that unit.
          {"NOTIFY_SOCKET", std::nullopt},
          {"WATCHDOG_USEC", std::nullopt},
          {"WATCHDOG_PID", std::nullopt}};
}

} // namespace autohost::test
