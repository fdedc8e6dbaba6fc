// Compile-only check: the ABI header stands alone as C++.
#include <autohost/abi.h>

static_assert(sizeof(ah_str) == 2 * sizeof(void *));
static_assert(AH_ABI_MAJOR == 1);

int main() { return AH_OK; }
