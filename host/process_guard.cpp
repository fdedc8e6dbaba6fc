// Process-wide protection of secrets in memory: not dumpable, no core files.
#include "process_guard.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace autohost::host {

std::vector<std::string> guard_process(CoreDumps core_dumps) {
  std::vector<std::string> problems;
  if (core_dumps == CoreDumps::allowed)
    return problems;
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    problems.push_back(std::string("cannot mark the process non-dumpable (PR_SET_DUMPABLE): ") +
                       std::strerror(errno));
  }
  // Non-dumpable already means no core file; the zero limit also covers a plugin that makes
  // the process dumpable again, and shows in /proc/PID/limits.
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0 && errno != EPERM) {
    problems.push_back(std::string("cannot set the core file limit to 0 (RLIMIT_CORE): ") +
                       std::strerror(errno));
  }
  return problems;
}

} // namespace autohost::host
