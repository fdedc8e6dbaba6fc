// Compile-only check: autohost/cut_text.hpp stands alone.
#include <autohost/cut_text.hpp>

int main() { return autohost::cut_text("short", 16) == "short" ? 0 : 1; }
