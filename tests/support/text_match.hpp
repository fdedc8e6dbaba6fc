// Whether a text holds another: the one check every suite makes on output and messages.
#pragma once

#include <string_view>

namespace autohost::test {

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

} // namespace autohost::test
