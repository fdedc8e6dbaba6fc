/* Compile-only check: the ABI header stands alone as C11 with every warning on. */
#include <autohost/abi.h>

int main(void) {
  ah_plugin table = {0};
  table.struct_size = sizeof table;
  return AH_HAS_FIELD(&table, ah_plugin, destroy) ? 0 : 1;
}
