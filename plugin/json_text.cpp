// JSON text written straight into a string; escaping by Boost.JSON's serializer.
#include "json_text.hpp"

#include <boost/json/serializer.hpp>
#include <boost/json/string_view.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>

namespace threads {

namespace {

// Whether `text` holds '"', '\\' or a control character: eight bytes at a time, with the
// exact whole-word tests for a zero byte and for a byte below 0x20 (bytes of 0x80 and
// above, UTF-8's, never match). Byte by byte this was six instructions a byte.
bool needs_escape(std::string_view text) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  constexpr auto below = [](std::uint64_t v, std::uint64_t n) {
    return (v - ones * n) & ~v & highs;
  };
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t v = 0;
    std::memcpy(&v, text.data() + i, sizeof v);
    if ((below(v ^ (ones * '"'), 1) | below(v ^ (ones * '\\'), 1) | below(v, 0x20)) != 0)
      return true;
  }
  return std::any_of(text.begin() + static_cast<std::ptrdiff_t>(i), text.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
}

} // namespace

void append_json_string(std::string &out, std::string_view text) {
  if (!needs_escape(text)) {
    out += '"';
    out += text;
    out += '"';
    return;
  }
  boost::json::serializer sr;
  sr.reset(boost::json::string_view(text.data(), text.size()));
  while (!sr.done()) {
    char buffer[256];
    out += sr.read(buffer);
  }
}

JsonObjectWriter::JsonObjectWriter(std::size_t expected_size) {
  out_.reserve(expected_size);
  out_ += '{';
}

void JsonObjectWriter::name(std::string_view name) {
  if (out_.size() > 1)
    out_ += ',';
  out_ += '"';
  out_ += name;
  out_ += "\":";
}

void JsonObjectWriter::string(std::string_view name, std::string_view value) {
  this->name(name);
  append_json_string(out_, value);
}

void JsonObjectWriter::integer(std::string_view name, std::int64_t value) {
  this->name(name);
  std::array<char, std::numeric_limits<std::int64_t>::digits10 + 3> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
  out_.append(digits.data(), end);
}

void JsonObjectWriter::strings(std::string_view name, const std::vector<std::string> &values) {
  this->name(name);
  out_ += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0)
      out_ += ',';
    append_json_string(out_, values[i]);
  }
  out_ += ']';
}

std::string JsonObjectWriter::take() {
  out_ += '}';
  std::string out = std::move(out_);
  out_.clear();
  return out;
}

} // namespace threads
