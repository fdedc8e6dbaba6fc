// Machines, simulated: a private network of network namespaces (`ip netns`), one per
// simulated machine, each joined by a veth pair to a bridge in this namespace whose address
// serves PostgreSQL and the sandbox; a machine is cut off by taking its link down.
#pragma once

#include "process.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace machine_net {

using autohost::test::ProcessResult;
using autohost::test::run_process;

inline ProcessResult ip(const std::vector<std::string> &args) {
  return run_process("/sbin/ip", args);
}

inline void must_ip(const std::vector<std::string> &args) {
  const auto r = ip(args);
  if (r.exit_code != 0) {
    std::string line = "ip";
    for (const auto &a : args)
      line += " " + a;
    throw std::runtime_error(line + " failed: " + r.err);
  }
}

// The bridge 10.213.X.1/24 (X from this process id, so parallel runs do not meet) and
// `machines` namespaces at 10.213.X.2, .3, ...; everything is removed when destroyed.
class MachineNetwork {
public:
  explicit MachineNetwork(int machines) : tag_(std::to_string(::getpid() % 100000)) {
    prefix_ = "10.213." + std::to_string(::getpid() % 250 + 1) + ".";
    try {
      must_ip({"link", "add", bridge(), "type", "bridge"});
      must_ip({"addr", "add", server_address() + "/24", "dev", bridge()});
      must_ip({"link", "set", bridge(), "up"});
      for (int n = 0; n < machines; ++n)
        add_machine(n);
    } catch (...) {
      remove();
      throw;
    }
  }
  MachineNetwork(const MachineNetwork &) = delete;
  MachineNetwork &operator=(const MachineNetwork &) = delete;
  ~MachineNetwork() { remove(); }

  // Why this process may not make namespaces ("" when it may): tried with a throw-away one.
  static std::string why_not_permitted() {
    const std::string probe = "ahprobe" + std::to_string(::getpid());
    const auto added = ip({"netns", "add", probe});
    if (added.exit_code != 0)
      return "`ip netns add` is not permitted here: " + added.err;
    ip({"netns", "del", probe});
    const std::string link = "ahprobe" + std::to_string(::getpid() % 100000);
    const auto bridged = ip({"link", "add", link, "type", "bridge"});
    if (bridged.exit_code != 0)
      return "`ip link add ... type bridge` is not permitted here: " + bridged.err;
    ip({"link", "del", link});
    return "";
  }

  // Where PostgreSQL and the sandbox listen: the bridge, in this namespace.
  std::string server_address() const { return prefix_ + "1"; }
  std::string subnet() const { return prefix_ + "0/24"; }
  std::string machine_address(int n) const { return prefix_ + std::to_string(n + 2); }
  // The command prefix that runs a program on machine `n`.
  std::vector<std::string> on_machine(int n) const { return {"/sbin/ip", "netns", "exec", ns(n)}; }

  // Takes machine `n`'s link down (its cable pulled) or up again.
  void cut(int n) { must_ip({"link", "set", outer(n), "down"}); }
  void reconnect(int n) { must_ip({"link", "set", outer(n), "up"}); }

private:
  std::string bridge() const { return "ahbr" + tag_; }
  std::string ns(int n) const { return "ahm" + tag_ + "-" + std::to_string(n); }
  std::string outer(int n) const { return "ahv" + tag_ + "o" + std::to_string(n); }
  std::string inner(int n) const { return "ahv" + tag_ + "i" + std::to_string(n); }

  void add_machine(int n) {
    must_ip({"netns", "add", ns(n)});
    namespaces_.push_back(ns(n));
    must_ip({"link", "add", outer(n), "type", "veth", "peer", "name", inner(n), "netns", ns(n)});
    must_ip({"link", "set", outer(n), "master", bridge()});
    must_ip({"link", "set", outer(n), "up"});
    must_ip({"-n", ns(n), "addr", "add", machine_address(n) + "/24", "dev", inner(n)});
    must_ip({"-n", ns(n), "link", "set", inner(n), "up"});
    must_ip({"-n", ns(n), "link", "set", "lo", "up"});
  }

  // Deleting a namespace deletes the veth pair with it; the bridge goes last.
  void remove() noexcept {
    try {
      for (const auto &name : namespaces_)
        ip({"netns", "del", name});
      namespaces_.clear();
      ip({"link", "del", bridge()});
    } catch (const std::exception &e) {
      std::cerr << "removing the test network: " << e.what() << '\n';
    }
  }

  std::string tag_;
  std::string prefix_;
  std::vector<std::string> namespaces_;
};

} // namespace machine_net
