// Reading the names out of a host's secret_list answer, with Boost.JSON's push parser.
#include "auth/secret_listing.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>
#include <limits>

namespace threads::auth {
namespace json = boost::json;
using boost::system::error_code;

namespace {

// Accepts exactly an array of objects, takes each object's "key" string (the last of equal
// members, as Boost.JSON's document keeps) and skips every other member's value (nested ones
// too).
class ListingHandler {
public:
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();

  ListingHandler(std::string_view prefix, bool direct_only)
      : prefix_(prefix), direct_only_(direct_only) {}

  std::vector<std::string> names;
  bool entry_without_key = false;

  bool on_document_begin(error_code &) { return true; }
  bool on_document_end(error_code &) { return true; }
  bool on_array_begin(error_code &ec) { return open(ec, depth_ != 1); }
  bool on_array_end(std::size_t, error_code &) { return close(); }
  bool on_object_begin(error_code &ec) {
    if (depth_ == 1)
      has_key_ = false;
    return open(ec, depth_ != 0);
  }
  bool on_object_end(std::size_t, error_code &) {
    if (depth_ == 2) {
      if (has_key_)
        take(key_);
      else
        entry_without_key = true;
    }
    return close();
  }
  bool on_key_part(json::string_view part, std::size_t, error_code &) {
    if (depth_ == 2)
      text_.append(part);
    return true;
  }
  bool on_key(json::string_view part, std::size_t, error_code &) {
    if (depth_ == 2) {
      text_.append(part);
      in_key_ = text_ == "key";
      text_.clear();
    }
    return true;
  }
  bool on_string_part(json::string_view part, std::size_t, error_code &) {
    if (taking())
      text_.append(part);
    return true;
  }
  bool on_string(json::string_view part, std::size_t, error_code &ec) {
    if (!taking())
      return scalar(ec);
    text_.append(part);
    key_.swap(text_);
    text_.clear();
    has_key_ = true;
    in_key_ = false;
    return true;
  }
  bool on_number_part(json::string_view, error_code &) { return true; }
  bool on_int64(std::int64_t, json::string_view, error_code &ec) { return scalar(ec); }
  bool on_uint64(std::uint64_t, json::string_view, error_code &ec) { return scalar(ec); }
  bool on_double(double, json::string_view, error_code &ec) { return scalar(ec); }
  bool on_bool(bool, error_code &ec) { return scalar(ec); }
  bool on_null(error_code &ec) { return scalar(ec); }
  bool on_comment_part(json::string_view, error_code &) { return true; }
  bool on_comment(json::string_view, error_code &) { return true; }

private:
  // A container opens at depth_ (0: the answer, an array; 1: an entry, an object; 2 and on:
  // inside an entry, anything).
  bool open(error_code &ec, bool allowed) {
    if (!allowed) {
      ec = json::error::syntax;
      return false;
    }
    not_a_key();
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    in_key_ = false;
    return true;
  }
  bool taking() const { return depth_ == 2 && in_key_; }
  // Any value but an entry's key: not allowed where an entry or the answer must be.
  bool scalar(error_code &ec) {
    if (depth_ < 2) {
      ec = json::error::syntax;
      return false;
    }
    not_a_key();
    return true;
  }
  // A value that is not a string: when it is the entry's "key", the entry has none now.
  void not_a_key() {
    if (taking())
      has_key_ = false;
    in_key_ = false;
  }
  void take(std::string_view key) {
    if (!key.starts_with(prefix_))
      return;
    key.remove_prefix(prefix_.size());
    if (!direct_only_ || key.find('/') == std::string_view::npos)
      names.emplace_back(key);
  }

  std::string_view prefix_;
  bool direct_only_;
  int depth_ = 0;
  bool in_key_ = false;  // the value coming is an entry's "key"
  bool has_key_ = false; // the entry read so far has its key: key_
  std::string key_;
  std::string text_; // a key or string arriving in parts
};

} // namespace

autohost::Result<std::vector<std::string>> listed_names(std::string_view listing,
                                                        std::string_view prefix, bool direct_only) {
  json::basic_parser<ListingHandler> parser(json::parse_options{}, prefix, direct_only);
  error_code ec;
  const std::size_t used = parser.write_some(false, listing.data(), listing.size(), ec);
  if (!ec && used != listing.size())
    ec = json::error::extra_data;
  if (ec || parser.handler().entry_without_key) {
    return autohost::Error::make(
        AH_INTERNAL, "the host's secret list is not a JSON array of {\"key\", \"version\"} "
                     "objects" +
                         (ec ? " (" + ec.message() + ")" : std::string(" (an entry has no key)")));
  }
  return std::move(parser.handler().names);
}

} // namespace threads::auth
