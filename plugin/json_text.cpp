// JSON text written straight into a string; escaping by Boost.JSON's serializer.
#include "json_text.hpp"

#include <boost/json/serializer.hpp>
#include <boost/json/string_view.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>

namespace threads {

namespace {

// Whether `text` holds '"', '\\' or a control character: eight bytes at a time, with the
// exact whole-word tests for a zero byte and for a byte below 0x20 (bytes of 0x80 and
// above, UTF-8's, never match). The last word overlaps the one before it (or, for text
// shorter than a word, is padded with a byte that never matches). Byte by byte this was
// six instructions a byte.
bool needs_escape(std::string_view text) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  constexpr auto below = [](std::uint64_t v, std::uint64_t n) {
    return (v - ones * n) & ~v & highs;
  };
  constexpr auto special = [below](std::uint64_t v) {
    return (below(v ^ (ones * '"'), 1) | below(v ^ (ones * '\\'), 1) | below(v, 0x20)) != 0;
  };
  const std::size_t size = text.size();
  std::uint64_t v = ones * 'a';
  if (size < 8) {
    if (size != 0)
      std::memcpy(&v, text.data(), size);
    return special(v);
  }
  for (std::size_t i = 0; i + 8 < size; i += 8) {
    std::memcpy(&v, text.data() + i, sizeof v);
    if (special(v))
      return true;
  }
  std::memcpy(&v, text.data() + size - 8, sizeof v);
  return special(v);
}

// Hands the escaped form of `text` (which needs escaping) to `append`, chunk by chunk.
template <class Append> void escaped(std::string_view text, Append &&append) {
  boost::json::serializer sr;
  sr.reset(boost::json::string_view(text.data(), text.size()));
  while (!sr.done()) {
    char buffer[256];
    append(sr.read(buffer));
  }
}

} // namespace

void append_json_string(std::string &out, std::string_view text) {
  if (!needs_escape(text)) {
    out += '"';
    out += text;
    out += '"';
    return;
  }
  escaped(text, [&out](std::string_view chunk) { out += chunk; });
}

JsonObjectWriter::JsonObjectWriter(std::size_t expected_size) {
  out_.resize(std::max<std::size_t>(expected_size, 64));
  put('{');
}

void JsonObjectWriter::grow(std::size_t n) { out_.resize(std::max(out_.size() * 2, used_ + n)); }

void JsonObjectWriter::name(std::string_view name) {
  const bool first = used_ == 1;
  char *at = room(name.size() + (first ? 3 : 4));
  if (!first)
    *at++ = ',';
  *at++ = '"';
  std::memcpy(at, name.data(), name.size());
  at[name.size()] = '"';
  at[name.size() + 1] = ':';
}

void JsonObjectWriter::quoted(std::string_view value) {
  if (needs_escape(value)) {
    escaped(value, [this](std::string_view chunk) { put(chunk); });
    return;
  }
  char *at = room(value.size() + 2);
  at[0] = '"';
  std::memcpy(at + 1, value.data(), value.size());
  at[value.size() + 1] = '"';
}

void JsonObjectWriter::string(std::string_view name, std::string_view value) {
  this->name(name);
  quoted(value);
}

void JsonObjectWriter::integer(std::string_view name, std::int64_t value) {
  this->name(name);
  constexpr std::size_t most = std::numeric_limits<std::int64_t>::digits10 + 3;
  char *at = room(most);
  used_ -= most - static_cast<std::size_t>(std::to_chars(at, at + most, value).ptr - at);
}

void JsonObjectWriter::strings(std::string_view name, const std::vector<std::string> &values) {
  this->name(name);
  put('[');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0)
      put(',');
    quoted(values[i]);
  }
  put(']');
}

std::string JsonObjectWriter::take() {
  put('}');
  out_.resize(used_);
  used_ = 0;
  std::string out = std::move(out_);
  out_.clear();
  return out;
}

} // namespace threads
