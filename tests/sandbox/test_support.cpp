// Child-process and curl plumbing for the sandbox test.
#include "test_support.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace sandbox_test {
namespace {

struct Spawned {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1; // -1 when stderr is inherited
};

enum class Stderr { inherit, capture };

Spawned spawn(const std::vector<std::string> &argv, Stderr err_mode) {
  int out[2];
  int err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || (err_mode == Stderr::capture && pipe2(err, O_CLOEXEC) != 0)) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  if (err_mode == Stderr::capture) {
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  }
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char *> args;
  for (const auto &arg : argv) {
    args.push_back(const_cast<char *>(arg.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (err[1] >= 0) {
    close(err[1]);
  }
  if (rc != 0) {
    close(out[0]);
    if (err[0] >= 0) {
      close(err[0]);
    }
    throw std::runtime_error("cannot start " + argv[0]);
  }
  return Spawned{pid, out[0], err[0]};
}

// Reads `fds` until all reach EOF, `stop_at` shows up in the first, or the deadline passes.
std::vector<std::string> read_outputs(std::vector<int> fds,
                                      std::chrono::steady_clock::time_point deadline,
                                      char stop_at = '\0') {
  std::vector<std::string> outs(fds.size());
  char buffer[8192];
  for (;;) {
    std::vector<pollfd> polled;
    for (int fd : fds) {
      polled.push_back(pollfd{fd, POLLIN, 0});
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (std::all_of(fds.begin(), fds.end(), [](int fd) { return fd < 0; }) || left.count() <= 0 ||
        poll(polled.data(), polled.size(), static_cast<int>(left.count())) <= 0) {
      return outs;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i] < 0 || polled[i].revents == 0) {
        continue;
      }
      const ssize_t n = read(fds[i], buffer, sizeof buffer);
      if (n <= 0) {
        fds[i] = -1; // poll ignores negative descriptors
        continue;
      }
      outs[i].append(buffer, static_cast<std::size_t>(n));
    }
    if (stop_at != '\0' && outs[0].find(stop_at) != std::string::npos) {
      return outs;
    }
  }
}

int wait_exit(pid_t pid, int timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string lower(std::string text) {
  for (char &c : text) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return text;
}

std::string sandbox_path() {
  const char *path = std::getenv("THREADS_SANDBOX");
  if (path == nullptr || *path == '\0') {
    throw std::runtime_error("THREADS_SANDBOX must name the threads-sandbox executable");
  }
  return path;
}

} // namespace

ProcessResult run_process(const std::vector<std::string> &argv, int timeout_s) {
  const Spawned child = spawn(argv, Stderr::capture);
  auto outs = read_outputs({child.out_fd, child.err_fd},
                           std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s));
  close(child.out_fd);
  close(child.err_fd);
  ProcessResult result;
  result.out = std::move(outs[0]);
  result.err = std::move(outs[1]);
  result.exit_status = wait_exit(child.pid, timeout_s);
  return result;
}

SandboxProcess::SandboxProcess(const std::vector<std::string> &extra_args) {
  const char *tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/threads-sandbox-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  state_dir = pattern;
  try {
    start(extra_args);
  } catch (...) {
    // No destructor runs for a half-built object: clean up here.
    if (pid_ > 0) {
      stop(SIGKILL);
    }
    std::error_code ignored;
    std::filesystem::remove_all(state_dir, ignored);
    throw;
  }
}

void SandboxProcess::start(const std::vector<std::string> &extra_args) {
  std::vector<std::string> argv{sandbox_path(), "--listen", "127.0.0.1:0", "--state-dir",
                                state_dir};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  // The sandbox's stderr stays the test's, so its diagnostics land in the test log.
  const Spawned child = spawn(argv, Stderr::inherit);
  pid_ = child.pid;
  ready_line = read_outputs({child.out_fd},
                            std::chrono::steady_clock::now() + std::chrono::seconds(15), '\n')[0];
  close(child.out_fd);
  if (ready_line.empty() || ready_line.back() != '\n') {
    throw std::runtime_error("threads-sandbox printed no ready line: '" + ready_line + "'");
  }
  const auto ready = boost::json::parse(ready_line).as_object();
  port = static_cast<int>(ready.at("port").to_number<std::int64_t>());
  ca_file = ready.at("ca_file").as_string().c_str();
  base_url = ready.at("base_url").as_string().c_str();
}

SandboxProcess::~SandboxProcess() {
  if (pid_ > 0) {
    stop(SIGTERM);
  }
  std::error_code ignored;
  std::filesystem::remove_all(state_dir, ignored);
}

int SandboxProcess::stop(int signal_number) {
  if (pid_ <= 0) {
    return -1;
  }
  kill(pid_, signal_number);
  const int status = wait_exit(pid_, 10);
  pid_ = -1;
  return status;
}

boost::json::value HttpResult::json() const { return boost::json::parse(body); }

HttpResult curl(const SandboxProcess &sandbox, const std::vector<std::string> &args) {
  // -g: field expansions like children{id} are not curl globs.
  std::vector<std::string> argv{"curl",       "-sS", "-g",       "-D",           "-",
                                "--max-time", "10",  "--cacert", sandbox.ca_file};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult run = run_process(argv);
  HttpResult result;
  result.curl_exit = run.exit_status;
  const auto head_end = run.out.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    result.body = run.out;
    return result;
  }
  const std::string head = run.out.substr(0, head_end);
  result.body = run.out.substr(head_end + 4);
  std::size_t line_start = 0;
  bool status_line = true;
  while (line_start < head.size()) {
    auto line_end = head.find("\r\n", line_start);
    if (line_end == std::string::npos) {
      line_end = head.size();
    }
    const std::string line = head.substr(line_start, line_end - line_start);
    if (status_line) {
      const auto space = line.find(' ');
      result.status = space == std::string::npos ? 0 : std::stol(line.substr(space + 1, 3));
      status_line = false;
    } else if (const auto colon = line.find(':'); colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      result.headers[lower(line.substr(0, colon))] = value;
    }
    line_start = line_end + 2;
  }
  return result;
}

HttpResult get(const SandboxProcess &sandbox, const std::string &path_and_query,
               const std::string &bearer) {
  std::vector<std::string> args;
  if (!bearer.empty()) {
    args = {"-H", "Authorization: Bearer " + bearer};
  }
  args.push_back(sandbox.base_url + path_and_query);
  return curl(sandbox, args);
}

HttpResult post_form(const SandboxProcess &sandbox, const std::string &path,
                     const std::vector<std::pair<std::string, std::string>> &fields,
                     const std::string &bearer) {
  std::vector<std::string> args{"-X", "POST"};
  if (!bearer.empty()) {
    args.insert(args.end(), {"-H", "Authorization: Bearer " + bearer});
  }
  for (const auto &[name, value] : fields) {
    args.insert(args.end(), {"--data-urlencode", name + "=" + value});
  }
  args.push_back(sandbox.base_url + path);
  return curl(sandbox, args);
}

HttpResult control(const SandboxProcess &sandbox, const std::string &method,
                   const std::string &path, const std::string &json_body) {
  std::vector<std::string> args{"-X", method, "-H", "Content-Type: application/json"};
  if (!json_body.empty()) {
    args.insert(args.end(), {"--data-binary", json_body});
  }
  args.push_back(sandbox.base_url + path);
  return curl(sandbox, args);
}

std::string issue_token(const SandboxProcess &sandbox, const std::string &json_body) {
  const HttpResult r = control(sandbox, "POST", "/__sandbox/tokens", json_body);
  if (r.status != 200) {
    throw std::runtime_error("issuing a token failed: " + r.body);
  }
  return r.json().at("access_token").as_string().c_str();
}

void advance_clock(const SandboxProcess &sandbox, double seconds) {
  const HttpResult r = control(sandbox, "POST", "/__sandbox/clock",
                               boost::json::serialize(boost::json::object{{"advance_s", seconds}}));
  if (r.status != 200) {
    throw std::runtime_error("moving the clock failed: " + r.body);
  }
}

void add_fault(const SandboxProcess &sandbox, const std::string &json_body) {
  const HttpResult r = control(sandbox, "POST", "/__sandbox/faults", json_body);
  if (r.status != 200) {
    throw std::runtime_error("adding a fault failed: " + r.body);
  }
}

} // namespace sandbox_test
