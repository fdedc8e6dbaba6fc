// Graph answers passed on as action output: ids as strings, numbers printed plainly, never a
// number JSON cannot hold.
#include "graph/answer_json.hpp"

#include "json_text.hpp"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace threads::graph {

namespace json = boost::json;

namespace {

bool id_like(std::string_view key) {
  return key == "id" || (key.size() > 3 && key.substr(key.size() - 3) == "_id");
}

class AnswerWriter {
public:
  // Most answers (one object, a page of posts) fit the first reserve or two.
  explicit AnswerWriter(std::string_view action) : action_(action) { out_.reserve(1024); }

  // Writes `v` (at `path_`); false after recording the first number that cannot be written.
  bool write(const json::value &v, bool is_id) {
    switch (v.kind()) {
    case json::kind::int64:
      return integer(v.get_int64(), is_id);
    case json::kind::uint64:
      return integer(v.get_uint64(), is_id);
    case json::kind::double_:
      return real(v.get_double(), is_id);
    case json::kind::array:
      return array(v.get_array());
    case json::kind::object:
      return object(v.get_object());
    case json::kind::string:
      append_json_string(out_, v.get_string());
      return true;
    case json::kind::bool_:
      out_ += v.get_bool() ? "true" : "false";
      return true;
    case json::kind::null:
      break;
    }
    out_ += "null";
    return true;
  }

  std::string take() { return std::move(out_); }
  autohost::Error error() const {
    const std::string where = path();
    json::object body{{"code", "bad_answer"},
                      {"message", "threads." + std::string(action_) +
                                      ": the Threads API answered with " + problem_ + " at " +
                                      (where.empty() ? std::string("the top") : where)}};
    return autohost::Error{AH_INTERNAL, json::serialize(body)};
  }

private:
  template <class Integer> bool integer(Integer n, bool is_id) {
    std::array<char, std::numeric_limits<Integer>::digits10 + 3> buf{};
    const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), n).ptr;
    if (is_id)
      out_ += '"';
    out_.append(buf.data(), end);
    if (is_id)
      out_ += '"';
    return true;
  }

  // Where the writer is, as "data[0].id"; built only for an error.
  std::string path() const {
    std::string out;
    for (const Step &step : path_) {
      if (step.index != Step::member) {
        out.append("[").append(std::to_string(step.index)).append("]");
        continue;
      }
      if (!out.empty())
        out += '.';
      out.append(step.key);
    }
    return out;
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
      return integer(static_cast<long long>(d), false);
    std::array<char, 64> buf{};
    const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), d).ptr;
    out_.append(buf.data(), end);
    return true;
  }

  // On failure the path is left as it stands, naming where the bad number is.
  bool array(const json::array &items) {
    out_ += '[';
    path_.push_back(Step{});
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i != 0)
        out_ += ',';
      path_.back().index = i;
      if (!write(items[i], false))
        return false;
    }
    path_.pop_back();
    out_ += ']';
    return true;
  }

  bool object(const json::object &members) {
    out_ += '{';
    path_.push_back(Step{});
    bool first = true;
    for (const auto &[key, value] : members) {
      if (!first)
        out_ += ',';
      first = false;
      append_json_string(out_, key);
      out_ += ':';
      path_.back().key = key;
      if (!write(value, id_like(key)))
        return false;
    }
    path_.pop_back();
    out_ += '}';
    return true;
  }

  // One level of the path: a member's key, or an element's index.
  struct Step {
    static constexpr std::size_t member = static_cast<std::size_t>(-1);
    std::string_view key;
    std::size_t index = member;
  };

  std::string_view action_;
  std::string out_;
  std::vector<Step> path_;
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
