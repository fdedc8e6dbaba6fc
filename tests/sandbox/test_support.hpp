// Test helpers: threads-sandbox as a child process, and curl runs against it over real TLS.
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sandbox_test {

// Runs `argv` (argv[0] is looked up in PATH when it has no '/'), waits, and returns its exit
// status with everything it wrote to stdout and stderr.
struct ProcessResult {
  int exit_status = -1; // -1: killed by a signal or timed out
  std::string out;
  std::string err;
};
ProcessResult run_process(const std::vector<std::string> &argv, int timeout_s = 30);

// A private sandbox on a free loopback port and a fresh temp state dir, stopped (SIGTERM) and
// cleaned up by the destructor. The path of the executable comes from $THREADS_SANDBOX.
class SandboxProcess {
public:
  explicit SandboxProcess(const std::vector<std::string> &extra_args = {});
  ~SandboxProcess();
  SandboxProcess(const SandboxProcess &) = delete;
  SandboxProcess &operator=(const SandboxProcess &) = delete;

  // Sends `signal` and returns the exit status (-1 when killed by a signal or hung).
  int stop(int signal_number);

  int port = 0;
  std::string ca_file;
  std::string base_url;
  std::string state_dir;
  std::string ready_line;

private:
  void start(const std::vector<std::string> &extra_args);

  pid_t pid_ = -1;
};

struct HttpResult {
  int curl_exit = 0; // 0 when curl got a complete answer
  long status = 0;
  std::map<std::string, std::string> headers; // lower-case names
  std::string body;

  boost::json::value json() const; // throws when the body is not JSON
};

// curl -sS -g -D - --max-time 10 --cacert <sandbox CA> ARGS...
HttpResult curl(const SandboxProcess &sandbox, const std::vector<std::string> &args);

// Convenience wrappers over curl() for the common requests.
HttpResult get(const SandboxProcess &sandbox, const std::string &path_and_query,
               const std::string &bearer = "");
HttpResult post_form(const SandboxProcess &sandbox, const std::string &path,
                     const std::vector<std::pair<std::string, std::string>> &fields,
                     const std::string &bearer = "");
HttpResult control(const SandboxProcess &sandbox, const std::string &method,
                   const std::string &path, const std::string &json_body = "");

// POST /__sandbox/tokens with `json_body`; the access_token.
std::string issue_token(const SandboxProcess &sandbox, const std::string &json_body = "{}");
void advance_clock(const SandboxProcess &sandbox, double seconds);
void add_fault(const SandboxProcess &sandbox, const std::string &json_body);

} // namespace sandbox_test
