// Keeps the secrets in the host's memory out of core dumps and away from other users' ptrace.
#pragma once

#include <string>
#include <vector>

namespace autohost::host {

enum class CoreDumps { refused, allowed };

// With CoreDumps::refused (the default; `--allow-core-dumps` or AUTOHOST_ALLOW_CORE_DUMPS=1
// say otherwise): marks the process non-dumpable (PR_SET_DUMPABLE 0: no core file, /proc/PID
// owned by root, no ptrace by other non-root users) and sets RLIMIT_CORE to 0, so neither the
// master key nor a decrypted token ends up in a core file or a debugger of someone else.
// Call it before any secret is read and before any plugin is loaded. A limit that cannot be
// lowered (a seccomp filter answering EPERM: the systemd unit sets LimitCORE=0 instead) is
// not a problem; the returned lines say what else could not be done (empty: protected).
std::vector<std::string> guard_process(CoreDumps core_dumps);

} // namespace autohost::host
