// JSON text written straight into a string, for the documents on every call's path (an
// account record is written twice per account in a refresh sweep): building a
// boost::json::object and serializing it cost ten times more. Escaping stays Boost.JSON's.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace threads {

// Appends `text` as a JSON string: quoted, escaped as Boost.JSON's serializer escapes it
// (which it runs only when `text` holds '"', '\\' or a control character).
void append_json_string(std::string &out, std::string_view text);

// One JSON object, member by member. Names are written as given: callers pass literals
// that need no escaping.
class JsonObjectWriter {
public:
  explicit JsonObjectWriter(std::size_t expected_size);
  void string(std::string_view name, std::string_view value);
  void integer(std::string_view name, std::int64_t value);
  void strings(std::string_view name, const std::vector<std::string> &values);
  // The object's text; the writer is empty afterwards.
  std::string take();

private:
  void name(std::string_view name);
  void quoted(std::string_view value);
  // Writing is memcpy into `out_`, kept at least as long as the text (`used_` bytes): the
  // string's own appends were a call of 40-100 instructions each, ten to a field.
  char *room(std::size_t n) {
    if (used_ + n > out_.size())
      grow(n);
    char *at = out_.data() + used_;
    used_ += n;
    return at;
  }
  void grow(std::size_t n);
  void put(std::string_view text) {
    if (!text.empty())
      std::memcpy(room(text.size()), text.data(), text.size());
  }
  void put(char c) { *room(1) = c; }

  std::string out_;
  std::size_t used_ = 0;
};

} // namespace threads
