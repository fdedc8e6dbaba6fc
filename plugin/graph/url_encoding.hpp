// Percent-encoding of request paths, query parameters and form bodies, written straight
// into one string (Boost.URL's url::set_path and params().append, used before, re-validated
// the whole URL at each step, and left '+' as it is).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace threads::graph {

using Params = std::vector<std::pair<std::string, std::string>>;

// Appends `path` encoded as the path of a URL with an authority (so with a '/' before it
// when it does not start with one).
void append_path(std::string &out, std::string_view path);

// Appends "key=value", encoded as a query parameter (a space is %20, a '+' is %2B).
void append_param(std::string &out, std::string_view key, std::string_view value);

// "k1=v1&k2=v2": `params` as a query string or an application/x-www-form-urlencoded body.
std::string encode_params(const Params &params);

} // namespace threads::graph
