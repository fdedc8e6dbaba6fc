// Text measurement and scanning used by container validation and the read endpoints.
#include "text_rules.hpp"

#include <algorithm>
#include <cctype>

namespace sandbox {
namespace {

// Decodes one code point at `pos`, advancing it; returns 0xFFFD for malformed input.
char32_t next_code_point(std::string_view s, std::size_t &pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(pos);
  std::size_t length = lead < 0x80           ? 1
                       : (lead >> 5) == 0x6  ? 2
                       : (lead >> 4) == 0xE  ? 3
                       : (lead >> 3) == 0x1E ? 4
                                             : 0;
  if (length == 0 || pos + length > s.size()) {
    ++pos;
    return 0xFFFD;
  }
  char32_t cp = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) {
      ++pos;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  pos += length;
  return cp;
}

bool extends_previous(char32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
         (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
         (cp >= 0xFE20 && cp <= 0xFE2F) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
         (cp >= 0xE0100 && cp <= 0xE01EF) || (cp >= 0x1F3FB && cp <= 0x1F3FF) ||
         (cp >= 0xE0020 && cp <= 0xE007F) || cp == 0x200D;
}

bool is_regional_indicator(char32_t cp) { return cp >= 0x1F1E6 && cp <= 0x1F1FF; }

bool ends_link(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

} // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t before = pos;
    const char32_t cp = next_code_point(text, pos);
    if (cp == 0xFFFD && !(pos - before == 3 && text.substr(before, 3) == "\xEF\xBF\xBD")) {
      return false;
    }
  }
  return true;
}

std::vector<std::size_t> utf16_boundaries(std::string_view utf8) {
  std::vector<std::size_t> out{0};
  std::size_t units = 0;
  for (std::size_t pos = 0; pos < utf8.size();) {
    units += next_code_point(utf8, pos) > 0xFFFF ? 2 : 1;
    out.push_back(units);
  }
  return out;
}

std::size_t count_characters(std::string_view utf8) {
  std::size_t count = 0;
  std::size_t pos = 0;
  bool joined = false;
  bool pending_flag_half = false;
  while (pos < utf8.size()) {
    const char32_t cp = next_code_point(utf8, pos);
    if (cp == 0x200D) {
      joined = true;
      continue;
    }
    if (joined || extends_previous(cp)) {
      joined = false;
      continue;
    }
    if (is_regional_indicator(cp)) {
      if (pending_flag_half) {
        pending_flag_half = false;
        continue;
      }
      pending_flag_half = true;
    } else {
      pending_flag_half = false;
    }
    ++count;
  }
  return count;
}

bool is_http_url(std::string_view text) {
  const bool scheme =
      starts_with_ignoring_case(text, "https://") || starts_with_ignoring_case(text, "http://");
  const auto host_start = text.find("://");
  return scheme && host_start + 3 < text.size() &&
         std::none_of(text.begin(), text.end(),
                      [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

std::vector<std::string> find_links(std::string_view text) {
  std::vector<std::string> links;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::string_view rest = text.substr(pos);
    const bool at_word_start = pos == 0 || ends_link(text[pos - 1]) || text[pos - 1] == '(';
    if (at_word_start &&
        (starts_with_ignoring_case(rest, "http://") ||
         starts_with_ignoring_case(rest, "https://") || starts_with_ignoring_case(rest, "www."))) {
      std::size_t end = pos;
      while (end < text.size() && !ends_link(text[end])) {
        ++end;
      }
      std::string link(text.substr(pos, end - pos));
      while (!link.empty() &&
             std::string_view(".,;:!?)]}'\"").find(link.back()) != std::string_view::npos) {
        link.pop_back();
      }
      if (link.size() > 8 && std::find(links.begin(), links.end(), link) == links.end()) {
        links.push_back(link);
      }
      pos = end;
    } else {
      ++pos;
    }
  }
  return links;
}

std::string first_hashtag(std::string_view text) {
  std::size_t pos = 0;
  while ((pos = text.find('#', pos)) != std::string_view::npos) {
    std::size_t end = pos + 1;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
           std::string_view(".&@!?,;:#").find(text[end]) == std::string_view::npos) {
      ++end;
    }
    const std::string_view tag = text.substr(pos + 1, end - pos - 1);
    const bool all_digits = std::all_of(tag.begin(), tag.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (!tag.empty() && !all_digits && count_characters(tag) <= 50) {
      return std::string(tag);
    }
    pos = end;
  }
  return {};
}

bool mentions(std::string_view text, std::string_view username) {
  const auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
  };
  std::size_t pos = 0;
  while ((pos = text.find('@', pos)) != std::string_view::npos) {
    const std::string_view rest = text.substr(pos + 1);
    if (starts_with_ignoring_case(rest, username) &&
        (rest.size() == username.size() || !is_name_char(rest[username.size()]) ||
         (rest[username.size()] == '.' &&
          (rest.size() == username.size() + 1 || !is_name_char(rest[username.size() + 1]))))) {
      return true;
    }
    ++pos;
  }
  return false;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string ascii_upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) {
    return true;
  }
  const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                              [](char a, char b) {
                                return std::tolower(static_cast<unsigned char>(a)) ==
                                       std::tolower(static_cast<unsigned char>(b));
                              });
  return it != haystack.end();
}

} // namespace sandbox
