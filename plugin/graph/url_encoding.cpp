// Percent-encoding with Boost.URL's encoder. The character sets are those Boost.URL keeps
// private (rfc/detail/charsets.hpp), built from its public pchars, with two changes (below).
#include "graph/url_encoding.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/grammar/charset.hpp>
#include <boost/url/rfc/pchars.hpp>

namespace threads::graph {
namespace urls = boost::urls;

namespace {

constexpr auto path_chars = urls::pchars + '/';
// Two differences from Boost.URL's sets:
// - '+' is encoded. Servers read a bare '+' in a query or a form body as a space (the
//   application/x-www-form-urlencoded rule), so "C++" arrived as "C  ".
// - '[' and ']' in keys are encoded: RFC 3986 allows them in no query, and Boost.URL's own
//   parser refuses the URL it made with them.
constexpr auto key_chars = urls::pchars + '/' + '?' - '&' - '=' - '+';
constexpr auto value_chars = urls::pchars + '/' + '?' - '&' - '+';

void append_encoded(std::string &out, std::string_view text,
                    const urls::grammar::lut_chars &unreserved) {
  // Most keys and values (field lists, ids, tokens) need no encoding: one scan, one copy.
  if (urls::grammar::find_if_not(text.data(), text.data() + text.size(), unreserved) ==
      text.data() + text.size()) {
    out += text;
    return;
  }
  const urls::encoding_opts opts(/*space_as_plus=*/false);
  const std::size_t at = out.size();
  out.resize(at + urls::encoded_size(text, unreserved, opts));
  urls::encode(out.data() + at, out.size() - at, text, unreserved, opts);
}

} // namespace

void append_path(std::string &out, std::string_view path) {
  if (!path.empty() && path.front() != '/') {
    out += '/';
  }
  append_encoded(out, path, path_chars);
}

void append_param(std::string &out, std::string_view key, std::string_view value) {
  append_encoded(out, key, key_chars);
  out += '=';
  append_encoded(out, value, value_chars);
}

std::string encode_params(const Params &params) {
  std::string out;
  for (const auto &[key, value] : params) {
    if (!out.empty()) {
      out += '&';
    }
    append_param(out, key, value);
  }
  return out;
}

} // namespace threads::graph
