// Compile-only check: autohost/idempotency_key.hpp stands alone (and its rule is constexpr).
#include <autohost/idempotency_key.hpp>

static_assert(autohost::valid_idempotency_key("launch@20260504T070000Z"));
static_assert(!autohost::valid_idempotency_key("a b"));

int main() { return autohost::valid_idempotency_key("") ? 1 : 0; }
