// Compile-only check: autohost/plugin.hpp stands alone.
#include <autohost/plugin.hpp>

int main() {
  autohost::StringSink sink;
  autohost::write_to(&sink.sink, "x");
  return sink.text == "x" ? 0 : 1;
}
