// A plugin's own counters (ABI 1.3 `count`): the rules a call must keep, and where the
// counts go.
#pragma once

#include <autohost/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autohost::host {

// A counter's labels, sorted by name.
using CounterLabels = std::vector<std::pair<std::string, std::string>>;

// Where the counts of every plugin go (the daemon's metrics). Thread-safe: plugins count
// from any thread.
class CounterSink {
public:
  virtual ~CounterSink() = default;
  virtual void add(std::string_view plugin, std::string_view name, const CounterLabels &labels,
                   std::uint64_t delta) = 0;
};

// The labels of one `count` call, or an error (code "bad_counter") naming the rule that
// `name` or `labels_json` breaks (abi.h: names of 1-64 [a-z0-9_] starting with a letter, at
// most 4 labels, string values of at most 64 bytes, no "plugin" label).
Result<CounterLabels> counter_labels(std::string_view name, std::string_view labels_json);

} // namespace autohost::host
