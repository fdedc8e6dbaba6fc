// Compile-only check: autohost/result.hpp stands alone.
#include <autohost/result.hpp>

int main() {
  autohost::Result<int> r = 1;
  return r.has_value() ? 0 : 1;
}
