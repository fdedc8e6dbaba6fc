// Runs a real child process with given arguments, stdin text and environment changes, and
// captures its exit code, stdout and stderr.
#pragma once

#include <csignal>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace autohost::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::string stdin_text;
  // Variables to set (a value) or remove (nullopt) on top of this process's environment.
  std::map<std::string, std::optional<std::string>> env;
  // Sends `signal_number` as soon as this returns true, when set; it is asked every 20 ms
  // while the child runs. With SIGKILL, a crash at a chosen point.
  std::function<bool()> signal_when;
  int signal_number = SIGKILL;
  // When set, this variable is given the "DEVICE:INODE" of the child's stderr file, as
  // systemd sets JOURNAL_STREAM for a unit whose stderr is the journal.
  std::string stderr_identity_var;
};

ProcessResult run_process(const std::filesystem::path &program,
                          const std::vector<std::string> &args, const ProcessOptions &options = {});

// The environment changes for a private autohost under `home`: HOME there, the state in
// `state`, and every other variable autohost reads removed, so nothing from the
// developer's own setup leaks in.
std::map<std::string, std::optional<std::string>>
private_autohost_env(const std::filesystem::path &home, const std::filesystem::path &state);

} // namespace autohost::test
