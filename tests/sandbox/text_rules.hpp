// How post text is measured and scanned: length, links, the legacy #tag, @mentions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sandbox {

bool is_valid_utf8(std::string_view text);

// User-perceived characters, approximated: combining marks, variation selectors, emoji
// modifiers and tags, and code points joined by ZWJ do not count; a regional-indicator pair
// (a flag) counts once. The real rule is UNCONFIRMED, and this is the most lenient one
// (threads-api.md 2.1), so the sandbox never rejects text the real API might take.
std::size_t count_characters(std::string_view utf8);

// Spoiler offsets and lengths are UTF-16 code units (README "Decisions", 9): the indices at
// which a code point starts, plus the text's length in code units at the end. A range whose
// ends are not both in this list would split a surrogate pair.
std::vector<std::size_t> utf16_boundaries(std::string_view utf8);

// Distinct http(s):// and www. links in `text`, in order of appearance.
std::vector<std::string> find_links(std::string_view text);

bool is_http_url(std::string_view text);

// The legacy topic: the first valid #tag (ends at whitespace . & @ ! ? , ; :; not all digits).
std::string first_hashtag(std::string_view text);

// Whether `text` contains @username as a whole word (case-insensitive).
bool mentions(std::string_view text, std::string_view username);

// ASCII case-insensitive substring search.
bool contains_ignoring_case(std::string_view haystack, std::string_view needle);
bool starts_with_ignoring_case(std::string_view text, std::string_view prefix);

// ASCII case mapping (parameter names and enum values are ASCII).
std::string ascii_upper(std::string_view text);
std::string ascii_lower(std::string_view text);

} // namespace sandbox
