// Reading an action's JSON input field by field, with errors that name the action and the
// field, and a refusal of fields the action does not know.
#pragma once

#include <autohost/result.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace threads::actions {

// {"code": "invalid_input", "field": field, "message": "<action>: '<field>' <message>"}.
autohost::Error field_error(std::string_view action, std::string_view field,
                            std::string_view message);

// Parses an action's input; it must be a JSON object (empty text means {}) whose strings hold
// no NUL character (the error names the first field that does).
autohost::Result<boost::json::value> parse_input(std::string_view action, std::string_view text);

// Reads the fields of one JSON object, remembering which were read so that
// no_unknown_fields() can refuse the others. `action` must outlive the reader.
class Reader {
public:
  // A reader over `o`, which must outlive it; `prefix` names nested fields ("media.").
  Reader(std::string_view action, const boost::json::object &o, std::string prefix = {})
      : action_(action), o_(&o), prefix_(std::move(prefix)) {}

  // The opening of every action: parses its input text (see parse_input) and returns a
  // reader that owns the document. End with no_unknown_fields() once every field is read.
  static autohost::Result<Reader> parse(std::string_view action, std::string_view text);

  std::string name(std::string_view key) const { return prefix_ + std::string(key); }

  autohost::Result<std::string> string(std::string_view key);
  // Ids arrive as strings or bare (17-digit) numbers; both become digit strings.
  autohost::Result<std::string> id(std::string_view key);
  autohost::Result<bool> boolean(std::string_view key);
  autohost::Result<std::optional<std::int64_t>> integer(std::string_view key, std::int64_t min,
                                                        std::int64_t max);
  // A list of strings, or a comma-separated string.
  autohost::Result<std::vector<std::string>> strings(std::string_view key);
  const boost::json::value *raw(std::string_view key);
  autohost::Result<autohost::Done> no_unknown_fields() const;

  autohost::Error error(std::string_view key, std::string_view message) const {
    return field_error(action_, name(key), message);
  }

private:
  std::string_view action_;
  // Set when the reader owns its document; shared so that moving the reader keeps o_ valid.
  std::shared_ptr<const boost::json::value> doc_;
  const boost::json::object *o_;
  std::string prefix_;
  std::set<std::string, std::less<>> seen_;
};

} // namespace threads::actions
