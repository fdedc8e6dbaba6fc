// libFuzzer harness: the Threads plugin's section of the config file (threads::parse_config).
#include "config.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text = fuzz::text_of(data, size);
  auto config = threads::parse_config(text);
  if (!config) {
    fuzz::require_clean_error(config.error(), "parse_config");
    return 0;
  }
  // The effective configuration prints as JSON that reads back to itself.
  const std::string printed = threads::to_json(*config);
  fuzz::must_parse(printed, "the effective plugin config");
  auto again = threads::parse_config(printed);
  fuzz::require(again.has_value(), "the effective plugin config is refused", printed);
  fuzz::require(threads::to_json(*again) == printed, "the plugin config changed on a round trip",
                printed);
  return 0;
}
