// Small helpers shared by the test suites.
#include "temp_dir.hpp"

#include <fstream>
#include <iterator>

namespace autohost::test {

std::string read_file(const std::filesystem::path &file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string required_env(const char *name) {
  const char *v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    throw std::runtime_error(std::string(name) + " is not set");
  return v;
}

} // namespace autohost::test
