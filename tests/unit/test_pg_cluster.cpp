// The throw-away PostgreSQL cluster of the tests leaves nothing behind: not when its test
// is stopped by SIGTERM (meson's timeout), and not, after the next run, when it was killed.
//
// The held clusters live under a private parent (TMPDIR of the holding process): the other
// PostgreSQL tests, run in parallel, remove stale clusters under the temp directory, and
// would otherwise remove the killed holder's cluster before this test looks at it.
#define BOOST_TEST_MODULE pg_cluster
#include <boost/test/unit_test.hpp>

#include "pg_cluster.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

using namespace autohost::test;
namespace fs = std::filesystem;

namespace {

struct Held {
  fs::path dir;
  int server_pid = 0;
};

// A directory for held clusters that the postgres user (the server's, when we are root) can
// enter.
struct ClusterParent : TempDir {
  ClusterParent() {
    fs::permissions(path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  }
};

bool server_runs(int pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  return !stat.empty() && stat.find(") Z ") == std::string::npos;
}

bool server_ends_within(int pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (server_runs(pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return !server_runs(pid);
}

// Starts a process that holds a cluster under `parent` and sends it `signal_number` once the
// server runs.
Held hold_and_signal(const fs::path &parent, int signal_number) {
  TempDir work;
  const fs::path ready = work / "ready";
  ProcessOptions options;
  options.env["TMPDIR"] = parent.string();
  options.signal_when = [&] { return fs::exists(ready); };
  options.signal_number = signal_number;
  const ProcessResult result =
      run_process(required_env("PG_CLUSTER_HOLD"), {ready.string()}, options);
  BOOST_REQUIRE_MESSAGE(fs::exists(ready), "the cluster did not start: " << result.err);
  Held held;
  std::ifstream in(ready);
  std::string dir;
  std::getline(in, dir);
  in >> held.server_pid;
  held.dir = dir;
  BOOST_REQUIRE(held.dir.parent_path() == parent);
  BOOST_REQUIRE(held.server_pid > 0);
  return held;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_cluster_whose_test_was_killed_is_removed_by_the_next_one) {
  const ClusterParent parent;
  const Held held = hold_and_signal(parent.path(), SIGKILL);
  // SIGKILL leaves the server running and the directory in place...
  BOOST_TEST(server_runs(held.server_pid));
  BOOST_TEST(fs::exists(held.dir / "data"));
  // ...until a cluster is set up next.
  remove_stale_pg_clusters(parent.path());
  BOOST_TEST(!fs::exists(held.dir));
  BOOST_TEST(server_ends_within(held.server_pid, std::chrono::seconds(10)));
}

BOOST_AUTO_TEST_CASE(a_test_stopped_by_sigterm_takes_its_server_down) {
  const ClusterParent parent;
  const Held held = hold_and_signal(parent.path(), SIGTERM);
  BOOST_TEST(server_ends_within(held.server_pid, std::chrono::seconds(10)));
  remove_stale_pg_clusters(parent.path());
  BOOST_TEST(!fs::exists(held.dir));
}

BOOST_AUTO_TEST_CASE(a_live_cluster_is_left_alone_and_removed_with_its_owner) {
  fs::path dir;
  int pid = 0;
  {
    PgCluster cluster;
    dir = cluster.socket_dir();
    pid = cluster.server_pid();
    remove_stale_pg_clusters(); // its owner (this process) runs: not stale
    BOOST_TEST(fs::exists(dir / "data"));
    BOOST_TEST(cluster.psql("SELECT current_database()") == "autohost_test\n");
  }
  BOOST_TEST(!fs::exists(dir));
  BOOST_TEST(server_ends_within(pid, std::chrono::seconds(10)));
}
