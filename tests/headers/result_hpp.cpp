// Compile-only check: autohost/result.hpp stands alone, its AH_TRY macros included.
#include <autohost/result.hpp>

namespace {

autohost::Result<int> half(int n) {
  if (n % 2 != 0)
    return autohost::Error::make(AH_INVALID_INPUT, "odd");
  return n / 2;
}

autohost::Result<int> quarter(int n) {
  AH_TRY(half(n));
  int h = 0;
  AH_TRY_ASSIGN(h, half(n));
  AH_TRY_DECLARE(q, half(h));
  return q;
}

} // namespace

int main() {
  auto r = quarter(8);
  auto odd = quarter(6);
  return r.has_value() && *r == 2 && !odd.has_value() ? 0 : 1;
}
