// A throw-away PostgreSQL 15 cluster: initdb, pg_ctl and psql run as real processes.
#include "pg_cluster.hpp"

#include "process.hpp"
#include "temp_dir.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace autohost::test {
namespace fs = std::filesystem;

namespace {

const fs::path pg_bin = "/usr/lib/postgresql/15/bin";
constexpr std::string_view dir_prefix = "autohost-pg-";

// Servers to take down when the test is stopped by a signal; 0 marks a free slot.
std::array<std::atomic<pid_t>, 32> live_servers{};
struct sigaction previous_actions[3];
constexpr std::array<int, 3> stop_signals{SIGTERM, SIGINT, SIGHUP};

void on_stop_signal(int signal_number) {
  for (auto &pid : live_servers) {
    const pid_t p = pid.load();
    if (p > 0)
      ::kill(p, SIGQUIT); // the postmaster's immediate shutdown
  }
  for (std::size_t i = 0; i < stop_signals.size(); ++i) {
    if (stop_signals[i] == signal_number)
      ::sigaction(signal_number, &previous_actions[i], nullptr);
  }
  ::raise(signal_number);
}

void install_stop_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < stop_signals.size(); ++i)
      ::sigaction(stop_signals[i], &action, &previous_actions[i]);
  });
}

void track_server(pid_t old_pid, pid_t new_pid) {
  for (auto &slot : live_servers) {
    pid_t expected = old_pid;
    if (slot.compare_exchange_strong(expected, new_pid))
      return;
  }
}

bool running_as_root() { return ::geteuid() == 0; }

// Runs a server-side tool: as the `postgres` user when we are root, as ourselves otherwise.
ProcessResult run_server_tool(const std::string &tool, std::vector<std::string> args) {
  const fs::path program = pg_bin / tool;
  if (!running_as_root())
    return run_process(program, args);
  args.insert(args.begin(), {"-u", "postgres", "--", program.string()});
  return run_process("/usr/sbin/runuser", args);
}

void require_ok(const ProcessResult &result, const std::string &what) {
  if (result.exit_code != 0)
    throw std::runtime_error(what + " failed (exit " + std::to_string(result.exit_code) +
                             "): " + result.out + result.err);
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
    if (fd >= 0)
      ::close(fd);
    throw std::runtime_error("no free loopback port for PostgreSQL");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

pid_t read_pid(const fs::path &file) {
  std::ifstream in(file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0)
    return 0;
  return static_cast<pid_t>(pid);
}

// A zombie (ended, not yet reaped by whoever inherited it) counts as gone.
bool process_alive(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM)
    return false;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t state = stat.rfind(") ");
  return state == std::string::npos || stat.compare(state + 2, 1, "Z") != 0;
}

// The postmaster of `data`, when it still runs: its command line names the data directory,
// so a pid reused by another process is never signalled.
pid_t running_postmaster(const fs::path &data) {
  const pid_t pid = read_pid(data / "postmaster.pid");
  if (pid == 0)
    return 0;
  std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return cmdline.find(data.string()) != std::string::npos ? pid : 0;
}

void quit_and_wait(pid_t pid) {
  ::kill(pid, SIGQUIT);
  for (int i = 0; i < 250 && process_alive(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

} // namespace

void remove_stale_pg_clusters() { remove_stale_pg_clusters(fs::temp_directory_path()); }

void remove_stale_pg_clusters(const fs::path &parent) {
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(parent, ec)) {
    const fs::path dir = entry.path();
    if (!dir.filename().string().starts_with(dir_prefix))
      continue;
    const pid_t owner = read_pid(dir / "owner.pid");
    if (owner == 0 || process_alive(owner))
      continue; // being set up, or its test still runs
    if (const pid_t server = running_postmaster(dir / "data"); server != 0)
      quit_and_wait(server);
    fs::remove_all(dir, ec);
  }
}

PgCluster::PgCluster(PgClusterOptions options) : options_(std::move(options)) {
  options_.tcp = options_.tcp || options_.tls;
  remove_stale_pg_clusters();
  install_stop_handlers();
  std::string pattern = (fs::temp_directory_path() / (std::string(dir_prefix) + "XXXXXX"));
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed for the PostgreSQL cluster");
  dir_ = pattern;
  std::ofstream(dir_ / "owner.pid") << ::getpid() << '\n';
  if (running_as_root()) {
    const passwd *user = ::getpwnam("postgres");
    if (user == nullptr || ::chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0)
      throw std::runtime_error("cannot hand " + dir_.string() +
                               " to the postgres user (is postgresql-15 installed?)");
  }
  require_ok(
      run_server_tool("initdb", {"-D", (dir_ / "data").string(), "-U", "autohost", "-A", "trust",
                                 "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"}),
      "initdb");
  if (options_.tcp)
    port_ = free_loopback_port();
  std::ofstream conf(dir_ / "data" / "postgresql.conf", std::ios::app);
  conf << "listen_addresses = '" << (options_.tcp ? "127.0.0.1" : "") << "'\n"
       << "port = " << port_ << "\n"
       << "unix_socket_directories = '" << dir_.string()
       << "'\n"
       // Unsafe only if the machine itself crashes; a killed server loses no commit (a
       // restart test relies on that, so synchronous_commit stays on).
       << "fsync = off\nfull_page_writes = off\n"
       << "max_connections = 200\n";
  if (options_.tls) {
    make_certificates();
    conf << "ssl = on\nssl_cert_file = '" << (dir_ / "server.crt").string() << "'\n"
         << "ssl_key_file = '" << (dir_ / "server.key").string() << "'\n";
  }
  for (const auto &line : options_.settings)
    conf << line << '\n';
  conf.close();
  std::ofstream hba(dir_ / "data" / "pg_hba.conf", std::ios::app);
  for (const auto &line : options_.hba)
    hba << line << '\n';
  hba.close();
  start();
  url_ = "postgresql://autohost@/autohost_test?host=" + dir_.string() +
         "&port=" + std::to_string(port_);
  psql_in("postgres", "CREATE DATABASE autohost_test");
}

PgCluster::~PgCluster() {
  const pid_t server = running_postmaster(dir_ / "data");
  if (server != 0) {
    try {
      pg_ctl({"stop", "-m", "immediate"});
    } catch (const std::exception &) {
      quit_and_wait(server);
    }
    track_server(server, 0);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void PgCluster::make_certificates() const {
  const auto openssl = [&](std::vector<std::string> args, const std::string &what) {
    require_ok(run_process("/usr/bin/openssl", args), "openssl " + what);
  };
  const std::string d = dir_.string() + "/";
  const std::vector<std::string> ec_key = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                           "-nodes"};
  std::vector<std::string> ca = {
      "req",     "-x509",      "-days", "2",         "-subj", "/CN=autohost test CA",
      "-keyout", d + "ca.key", "-out",  d + "ca.pem"};
  ca.insert(ca.begin() + 2, ec_key.begin(), ec_key.end());
  openssl(ca, "CA");
  std::vector<std::string> request = {
      "req", "-subj", "/CN=localhost", "-keyout", d + "server.key", "-out", d + "server.csr"};
  request.insert(request.begin() + 1, ec_key.begin(), ec_key.end());
  openssl(request, "server key");
  std::ofstream(dir_ / "server.ext") << "subjectAltName = DNS:localhost, IP:127.0.0.1\n";
  openssl({"x509", "-req", "-in", d + "server.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
           "-set_serial", "1", "-days", "2", "-extfile", d + "server.ext", "-out",
           d + "server.crt"},
          "server certificate");
  // The server insists on a key only its own user can read.
  fs::permissions(dir_ / "server.key", fs::perms::owner_read | fs::perms::owner_write);
  if (running_as_root()) {
    const passwd *user = ::getpwnam("postgres");
    for (const char *name : {"server.key", "server.crt"})
      if (user == nullptr || ::chown((dir_ / name).c_str(), user->pw_uid, user->pw_gid) != 0)
        throw std::runtime_error("cannot hand the TLS files to the postgres user");
  }
}

int PgCluster::server_pid() const { return running_postmaster(dir_ / "data"); }

std::string PgCluster::tcp_url() const {
  if (!options_.tcp)
    return {};
  return "postgresql://autohost@127.0.0.1:" + std::to_string(port_) + "/autohost_test";
}

void PgCluster::pg_ctl(const std::vector<std::string> &args) const {
  std::vector<std::string> all = {"-D", (dir_ / "data").string(), "-w", "-t", "60"};
  all.insert(all.end(), args.begin(), args.end());
  require_ok(run_server_tool("pg_ctl", all), "pg_ctl " + args.front());
}

void PgCluster::start() {
  try {
    pg_ctl({"start", "-l", (dir_ / "server.log").string()});
  } catch (const std::runtime_error &e) {
    throw std::runtime_error(std::string(e.what()) + "\nserver.log:\n" +
                             read_file(dir_ / "server.log"));
  }
  track_server(0, running_postmaster(dir_ / "data"));
}

void PgCluster::stop() {
  const pid_t old = running_postmaster(dir_ / "data");
  pg_ctl({"stop", "-m", "immediate"});
  track_server(old, 0);
}

void PgCluster::restart() {
  stop();
  start();
}

std::string PgCluster::psql(std::string_view sql) const { return psql_in("autohost_test", sql); }

std::string PgCluster::psql_in(std::string_view database, std::string_view sql) const {
  const std::string url = "postgresql://autohost@/" + std::string(database) +
                          "?host=" + dir_.string() + "&port=" + std::to_string(port_);
  const ProcessResult result =
      run_process(pg_bin / "psql", {"-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url,
                                    "-c", std::string(sql)});
  require_ok(result, "psql");
  return result.out;
}

} // namespace autohost::test
