// Reading and checking the account insights' since/until.
#include "actions/insights_range.hpp"

#include "auth/time_text.hpp"

#include <string>

namespace threads::actions {
namespace {

autohost::Result<std::optional<std::int64_t>> unix_seconds(Reader &r, std::string_view key) {
  const boost::json::value *v = r.raw(key);
  if (v == nullptr)
    return std::optional<std::int64_t>{};
  std::optional<std::int64_t> seconds;
  if (v->is_int64() && v->as_int64() >= 0) {
    seconds = v->as_int64();
  } else if (v->is_string()) {
    if (auto ms = auth::parse_time_ms(v->as_string()); ms && *ms >= 0)
      seconds = *ms / 1000;
  }
  if (!seconds) {
    return r.error(key, "must be Unix seconds or an ISO 8601 time with an offset "
                        "(2026-05-04T09:00:00+02:00 or ...Z)");
  }
  if (*seconds < earliest_insights_s) {
    return r.error(key, "is before 2024-04-13 (Unix 1712991600), the earliest time Threads "
                        "gives account insights for");
  }
  return seconds;
}

} // namespace

autohost::Result<InsightsRange> read_insights_range(Reader &r) {
  InsightsRange range;
  AH_TRY_ASSIGN(range.since_s, unix_seconds(r, "since"));
  AH_TRY_ASSIGN(range.until_s, unix_seconds(r, "until"));
  if (range.since_s && range.until_s && *range.since_s >= *range.until_s) {
    return r.error("since", "must be earlier than until (" + std::to_string(*range.until_s) + ")");
  }
  return range;
}

} // namespace threads::actions
