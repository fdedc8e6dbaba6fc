// Holds a throw-away PostgreSQL cluster until a signal ends it: lets unit/pg_cluster check
// what is left behind when a test dies, and gives the benchmarks a server. Writes
// "DIR\nSERVER_PID\nURL\n" to the file named by its argument once the server runs.
#include "pg_cluster.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pg-cluster-hold READY_FILE\n");
    return 2;
  }
  autohost::test::PgCluster cluster;
  const std::filesystem::path ready = argv[1];
  std::ofstream(ready.string() + ".tmp") << cluster.socket_dir().string() << '\n'
                                         << cluster.server_pid() << '\n'
                                         << cluster.url() << '\n';
  std::filesystem::rename(ready.string() + ".tmp", ready);
  while (true)
    ::pause();
}
