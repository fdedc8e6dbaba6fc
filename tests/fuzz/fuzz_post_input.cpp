// libFuzzer harness: the `post` action's input (parse_post_input) and the text measures it
// uses, checked against the rules the README states.
#include "actions/post_input.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace threads::actions;
  const std::string_view text = fuzz::text_of(data, size);
  const auto boundaries = utf16_boundaries(text);
  fuzz::require(!boundaries.empty() && boundaries.front() == 0,
                "utf16_boundaries does not start at 0");
  (void)links_in(text);
  (void)threads_length(text);

  auto input = parse_post_input(text);
  if (!input) {
    fuzz::require_clean_error(input.error(), "parse_post_input");
    return 0;
  }
  const auto length = threads_length(input->text);
  fuzz::require(length && *length <= 500, "accepted text is not UTF-8 or over 500 characters",
                input->text);
  fuzz::require(input->text.find('\0') == std::string::npos, "accepted text holds a NUL");
  fuzz::require(input->media.size() <= 20, "more than 20 media items accepted");
  fuzz::require(input->poll_options.empty() ||
                    (input->poll_options.size() >= 2 && input->poll_options.size() <= 4),
                "a poll without 2-4 options accepted");
  fuzz::require(links_in(input->text).size() <= 5, "more than 5 links accepted", input->text);
  for (const auto &item : input->media)
    fuzz::require(!item.url.empty(), "a media item without a URL accepted");
  return 0;
}
