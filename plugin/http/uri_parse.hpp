// Boost.URL's parse functions, minus the one input shape Boost 1.81 cannot take.
#pragma once

#include <boost/url/grammar/error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <string_view>

namespace threads::http::uri {

// A scheme, its ':' and then exactly one character that starts no path ("http:[", "a:?").
// Boost.URL 1.81's hier-part rule counts a path segment for the empty path there and an
// assertion aborts the process (boostorg/url#665, fixed in 1.82); release builds keep
// assertions. Such a string has no host, so for every use in the plugin it is not a URL.
// Paging links come from the server, so this is reachable by a hostile answer.
constexpr bool trips_boost_url_665(std::string_view s) noexcept {
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 2 != s.size() || !alpha(s[0]))
    return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = s[i];
    if (!alpha(c) && !digit(c) && c != '+' && c != '-' && c != '.')
      return false; // not a scheme: Boost reads it as a relative reference, which is fine
  }
  const char last = s[colon + 1];
  if (alpha(last) || digit(last) || last == '/')
    return false;
  return std::string_view("-._~!$&'()*+,;=:@").find(last) == std::string_view::npos;
}

inline boost::system::result<boost::urls::url_view> parse_uri(std::string_view s) noexcept {
  if (trips_boost_url_665(s))
    return boost::urls::grammar::error::invalid;
  return boost::urls::parse_uri(s);
}

inline boost::system::result<boost::urls::url_view>
parse_absolute_uri(std::string_view s) noexcept {
  if (trips_boost_url_665(s))
    return boost::urls::grammar::error::invalid;
  return boost::urls::parse_absolute_uri(s);
}

inline boost::system::result<boost::urls::url_view>
parse_uri_reference(std::string_view s) noexcept {
  if (trips_boost_url_665(s))
    return boost::urls::grammar::error::invalid;
  return boost::urls::parse_uri_reference(s);
}

} // namespace threads::http::uri
