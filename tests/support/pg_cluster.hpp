// A throw-away PostgreSQL 15 cluster for one test: its own data directory and server.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace autohost::test {

struct PgClusterOptions {
  // Also listen on 127.0.0.1 on a free port (tcp_url()); the Unix socket is always there.
  bool tcp = false;
  // Serve TLS on that port with a certificate for localhost and 127.0.0.1 from a fresh test
  // CA (ca_file()), made with the openssl command.
  bool tls = false;
  // Extra postgresql.conf lines, e.g. "deadlock_timeout = '50ms'".
  std::vector<std::string> settings;
  // Extra pg_hba.conf lines, e.g. trust for a test network's addresses.
  std::vector<std::string> hba;
};

// initdb's a cluster in a private directory under the temp dir, starts it on a Unix socket
// in that directory (never on the system cluster's socket or port), creates the database
// `autohost_test` and removes everything when destroyed. Trust authentication, superuser
// `autohost`: nothing in it is secret.
//
// PostgreSQL refuses to run as root, so when the test runs as root (CI does) initdb,
// pg_ctl and the server run as the `postgres` system user (runuser), and the directory is
// handed to that user. Failures to set up throw std::runtime_error with the tool's output.
//
// A test killed by SIGTERM/SIGINT (meson's timeout) takes its servers down on the way out
// (SIGQUIT: immediate shutdown); one killed by SIGKILL leaves a directory that the next
// PgCluster of any test removes, together with its server, once the owning process is gone.
class PgCluster {
public:
  explicit PgCluster(PgClusterOptions options = {});
  PgCluster(const PgCluster &) = delete;
  PgCluster &operator=(const PgCluster &) = delete;
  ~PgCluster();

  // postgresql://autohost@/autohost_test?host=SOCKET_DIR&port=PORT
  const std::string &url() const noexcept { return url_; }
  // postgresql://autohost@127.0.0.1:PORT/autohost_test; empty unless options.tcp.
  std::string tcp_url() const;
  const std::filesystem::path &socket_dir() const noexcept { return dir_; }
  // The test CA that signed the server's certificate (options.tls).
  std::filesystem::path ca_file() const { return dir_ / "ca.pem"; }
  int port() const noexcept { return port_; }

  // The postmaster's process id (0 when it does not run).
  int server_pid() const;

  // Runs SQL through psql as the superuser; returns its unaligned, tuples-only output.
  std::string psql(std::string_view sql) const;
  // The same in another database of the cluster.
  std::string psql_in(std::string_view database, std::string_view sql) const;
  // Stops (immediately, as a crash would) and starts the server again on the same socket.
  void restart();
  // The two halves of restart(), for a test that needs the server down for a while.
  void stop();
  void start();

private:
  void pg_ctl(const std::vector<std::string> &args) const;
  void make_certificates() const;

  PgClusterOptions options_;
  std::filesystem::path dir_; // socket, data/ and server.log
  int port_ = 5432;
  std::string url_;
};

// Removes clusters left behind by test processes that no longer run (stops their servers):
// those under the temp directory (TMPDIR), or under `parent`.
void remove_stale_pg_clusters();
void remove_stale_pg_clusters(const std::filesystem::path &parent);

} // namespace autohost::test
