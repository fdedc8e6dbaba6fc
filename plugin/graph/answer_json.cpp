// Graph answers passed on as action output: ids as strings, numbers printed plainly, never a
// number JSON cannot hold.
#include "graph/answer_json.hpp"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cmath>

namespace threads::graph {

namespace json = boost::json;

namespace {

bool id_like(std::string_view key) {
  return key == "id" || (key.size() > 3 && key.substr(key.size() - 3) == "_id");
}

class AnswerWriter {
public:
  explicit AnswerWriter(std::string_view action) : action_(action) {}

  // Writes `v` (at `path_`); false after recording the first number that cannot be written.
  bool write(const json::value &v, bool is_id) {
    switch (v.kind()) {
    case json::kind::int64:
      return number(std::to_string(v.get_int64()), is_id);
    case json::kind::uint64:
      return number(std::to_string(v.get_uint64()), is_id);
    case json::kind::double_:
      return real(v.get_double(), is_id);
    case json::kind::array:
      return array(v.get_array());
    case json::kind::object:
      return object(v.get_object());
    default:
      sr_.reset(&v); // null, bool, string: boost escapes strings
      drain();
      return true;
    }
  }

  std::string take() { return std::move(out_); }
  autohost::Error error() const {
    json::object body{{"code", "bad_answer"},
                      {"message", "threads." + std::string(action_) +
                                      ": the Threads API answered with " + problem_ + " at " +
                                      (path_.empty() ? std::string("the top") : path_)}};
    return autohost::Error{AH_INTERNAL, json::serialize(body)};
  }

private:
  // Appends what the serializer was reset to, without a string of its own in between.
  void drain() {
    while (!sr_.done()) {
      char buffer[256];
      out_ += sr_.read(buffer);
    }
  }

  bool number(const std::string &digits, bool is_id) {
    if (is_id)
      out_ += '"';
    out_ += digits;
    if (is_id)
      out_ += '"';
    return true;
  }

  bool real(double d, bool is_id) {
    if (!std::isfinite(d)) {
      problem_ = "a number too large for JSON";
      return false;
    }
    if (is_id) {
      problem_ = "an id that is neither a string nor a whole number";
      return false;
    }
    // Whole numbers as integers (30, not 3E1); others in the shortest form that reads back.
    if (d == std::trunc(d) && std::fabs(d) < 1e15)
      return number(std::to_string(static_cast<long long>(d)), false);
    std::array<char, 64> buf{};
    const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), d).ptr;
    out_.append(buf.data(), end);
    return true;
  }

  bool array(const json::array &items) {
    out_ += '[';
    const std::size_t at = path_.size();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i != 0)
        out_ += ',';
      path_ += '[';
      path_ += std::to_string(i);
      path_ += ']';
      if (!write(items[i], false))
        return false;
      path_.resize(at);
    }
    out_ += ']';
    return true;
  }

  bool object(const json::object &members) {
    out_ += '{';
    const std::size_t at = path_.size();
    bool first = true;
    for (const auto &[key, value] : members) {
      if (!first)
        out_ += ',';
      first = false;
      sr_.reset(json::string_view(key));
      drain();
      out_ += ':';
      if (!path_.empty())
        path_ += '.';
      path_ += key;
      if (!write(value, id_like(key)))
        return false;
      path_.resize(at);
    }
    out_ += '}';
    return true;
  }

  std::string_view action_;
  json::serializer sr_;
  std::string out_;
  std::string path_;
  std::string problem_;
};

} // namespace

autohost::Result<std::string> answer_json(const json::value &answer, std::string_view action) {
  AnswerWriter writer(action);
  if (!writer.write(answer, false))
    return writer.error();
  return writer.take();
}

} // namespace threads::graph
