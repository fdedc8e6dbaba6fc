// "did you mean" hints for mistyped commands and subcommands.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace autohost::cli {

// "; did you mean 'NAME'?" for the one known name close to `typed` (a typo: a letter
// missing, extra, wrong or two swapped), or "" when none is close enough to be a guess worth
// showing. Ties go to the first name in `known`.
std::string did_you_mean(std::string_view typed, const std::vector<std::string_view> &known);

} // namespace autohost::cli
