// libFuzzer harness: cron expressions and schedule specs ("at ...", "every ... from ...",
// "cron ...", a bare expression), as --cron/--at/--every and manifests give them. The first
// byte picks the zone, the rest is the spec.
#include "fuzz_check.hpp"
#include "scheduler/cron.hpp"
#include "scheduler/schedule_spec.hpp"

#include <array>

namespace {

using namespace autohost::scheduler;
using namespace std::chrono;

// Zones with every kind of offset change: none, DST at 02:00 and 03:00, half-hour DST, a
// 45-minute offset, and a zone that skipped a whole day.
constexpr std::array<std::string_view, 6> zones = {
    "UTC",         "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham",
    "Pacific/Apia"};

// 2026-03-29T00:30:00Z, hours before Berlin's spring-forward.
const Instant now{seconds{1'774'744'200}};

void check_cron(std::string_view text, const date::time_zone &zone) {
  auto cron = CronExpression::parse(text);
  if (!cron) {
    fuzz::require_clean_error(cron.error(), "cron parse");
    return;
  }
  auto again = CronExpression::parse(cron->text());
  fuzz::require(again && again->text() == cron->text(), "a cron text() does not parse back",
                cron->text());
  // parse() accepts only expressions that fire (next_after documents nullopt as a guard).
  Instant t = now;
  for (int i = 0; i < 3; ++i) {
    auto next = cron->next_after(t, zone);
    fuzz::require(next.has_value(), "an accepted cron expression never fires", cron->text());
    fuzz::require(*next > t, "next_after went backwards", cron->text());
    t = *next;
  }
}

void check_spec(std::string_view text, std::string_view zone_name) {
  auto spec = ScheduleSpec::parse(text, zone_name, now, "fuzz");
  if (!spec) {
    fuzz::require_clean_error(spec.error(), "schedule spec parse");
    return;
  }
  const std::string stored = spec->text();
  auto again = ScheduleSpec::from_stored(stored, spec->zone_name());
  fuzz::require(again && again->text() == stored && again->kind() == spec->kind(),
                "a stored spec does not read back the same", stored);
  const auto first = spec->first_fire(now);
  fuzz::require(first == again->first_fire(now), "a stored spec fires at another time", stored);
  if (first && spec->recurring()) {
    const auto next = spec->next_after(*first);
    fuzz::require(!next || *next > *first, "a recurring spec went backwards", stored);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0)
    return 0;
  const std::string_view zone_name = zones[data[0] % zones.size()];
  const std::string_view text = fuzz::text_of(data + 1, size - 1);
  auto zone = find_zone(zone_name, "fuzz");
  fuzz::require(zone.has_value(), "a known zone is missing", zone_name);
  if (data[0] & 0x80)
    check_cron(text, **zone);
  else
    check_spec(text, zone_name);
  return 0;
}
