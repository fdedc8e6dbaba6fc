// Reading the names out of a host's secret_list answer.
#pragma once

#include <autohost/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace threads::auth {

// The keys a secret_list answer names (abi.h: a JSON array of {"key", "version"} objects),
// each without `prefix`; with `direct_only`, keys with a '/' after the prefix are left out.
// Read as the text streams past, without building the document: with 100,000 accounts that
// document was the largest thing a refresh sweep held. An answer of another shape is an
// internal error that says so.
autohost::Result<std::vector<std::string>> listed_names(std::string_view listing,
                                                        std::string_view prefix, bool direct_only);

} // namespace threads::auth
