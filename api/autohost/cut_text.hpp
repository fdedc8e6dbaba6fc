// Bounding text that comes from outside (a server's error message, a plugin's error body)
// before it is printed, logged or stored.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace autohost {

// The most bytes of one text an error carries (a message, a server's text): enough for any
// message a person reads, small enough that a hostile 7 MB answer never reaches a terminal,
// a log line or a stored run whole.
inline constexpr std::size_t max_error_text_bytes = 4096;

// `text` when it has at most `max` bytes; else its first `max` bytes or fewer, cut before a
// UTF-8 character (never inside one), and " ... [cut, N bytes]" with N the whole size.
inline std::string cut_text(std::string_view text, std::size_t max = max_error_text_bytes) {
  if (text.size() <= max)
    return std::string(text);
  std::size_t keep = max;
  // Back over continuation bytes (10xxxxxx) to the lead byte: a character is at most 4.
  for (int i = 0; i < 3 && keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80;
       ++i) {
    --keep;
  }
  return std::string(text.substr(0, keep)) + " ... [cut, " + std::to_string(text.size()) +
         " bytes]";
}

} // namespace autohost
