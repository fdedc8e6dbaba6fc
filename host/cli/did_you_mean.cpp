// "did you mean" hints: the closest known name by edit distance, only when it is close.
#include "cli/did_you_mean.hpp"

#include <algorithm>
#include <cstddef>

namespace autohost::cli {
namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring letters each cost 1 (a swap is the commonest typo, so it is one edit, not two).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t w = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * w);
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i * w] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t best =
          std::min({d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        best = std::min(best, d[(i - 2) * w + j - 2] + 1);
      d[i * w + j] = best;
    }
  }
  return d[a.size() * w + b.size()];
}

} // namespace

std::string did_you_mean(std::string_view typed, const std::vector<std::string_view> &known) {
  // One edit in a short name, two in a longer one: beyond that a guess is more often wrong
  // than helpful ("rm" is two edits from "run" and not what anyone meant).
  const std::size_t limit = typed.size() <= 4 ? 1 : 2;
  std::string_view best;
  std::size_t best_distance = limit + 1;
  for (std::string_view name : known) {
    const std::size_t distance = edit_distance(typed, name);
    if (distance < best_distance) {
      best = name;
      best_distance = distance;
    }
  }
  if (best.empty() || best_distance == 0)
    return "";
  return "; did you mean '" + std::string(best) + "'?";
}

} // namespace autohost::cli
