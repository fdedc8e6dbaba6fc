// Fresh store locations: a file in the test's directory or a new database of a shared cluster.
#include "store_location.hpp"

#include "pg_cluster.hpp"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace autohost::test {

bool testing_postgres() {
  const char *backend = std::getenv("AUTOHOST_TEST_BACKEND");
  return backend != nullptr && std::string_view(backend) == "postgres";
}

std::string fresh_store_location(const std::filesystem::path &dir, const std::string &name) {
  if (!testing_postgres())
    return (dir / name).string();
  // One server per process: starting a cluster takes seconds, a database milliseconds.
  static PgCluster cluster;
  static int made = 0;
  const std::string database = "store_" + std::to_string(::getpid()) + "_" + std::to_string(++made);
  cluster.psql("CREATE DATABASE " + database);
  std::string url = cluster.url();
  const std::string_view shared = "/autohost_test?";
  const auto at = url.find(shared);
  if (at == std::string::npos)
    throw std::runtime_error("unexpected cluster URL " + url);
  url.replace(at, shared.size(), "/" + database + "?");
  return url;
}

} // namespace autohost::test
