// Compile-only check: autohost/host.hpp stands alone (with Boost.DLL).
#include <autohost/host.hpp>

int main() {
  auto missing = autohost::Library::open("/nonexistent.so");
  return missing.has_value() ? 1 : 0;
}
