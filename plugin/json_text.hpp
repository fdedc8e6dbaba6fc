// JSON text written straight into a string, for the documents on every call's path (an
// account record is written twice per account in a refresh sweep): building a
// boost::json::object and serializing it cost ten times more. Escaping stays Boost.JSON's.
#pragma once

#include <cstdint>
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

  std::string out_;
};

} // namespace threads
