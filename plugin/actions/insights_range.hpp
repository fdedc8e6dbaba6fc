// The account insights' time range: since/until read from the input, checked against the
// documented limits and sent as Unix seconds (threads-api.md 3.9).
#pragma once

#include "actions/input_reader.hpp"

#include <autohost/result.hpp>

#include <cstdint>
#include <optional>

namespace threads::actions {

// Meta refuses account insights before 2024-04-13 00:00 PDT (threads-api.md 3.9).
inline constexpr std::int64_t earliest_insights_s = 1712991600;

struct InsightsRange {
  std::optional<std::int64_t> since_s;
  std::optional<std::int64_t> until_s;
};

// Reads "since" and "until": Unix seconds (a number or digits) or ISO 8601 with an offset
// ("2026-05-04T09:00:00+02:00", "...Z"; fractions of a second are dropped). invalid_input
// naming the field for anything else, a time before earliest_insights_s, or since not before
// until. No maximum span is documented, so none is checked (the server has the last word).
autohost::Result<InsightsRange> read_insights_range(Reader &r);

} // namespace threads::actions
