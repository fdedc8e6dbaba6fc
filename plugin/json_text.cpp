// JSON text written straight into a string; escaping by Boost.JSON's serializer.
#include "json_text.hpp"

#include <boost/json/serializer.hpp>
#include <boost/json/string_view.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace threads {

void append_json_string(std::string &out, std::string_view text) {
  const bool plain = std::none_of(text.begin(), text.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (plain) {
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
