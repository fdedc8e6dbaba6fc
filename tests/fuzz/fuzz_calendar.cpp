// libFuzzer harness: calendar files for `autohost schedule import`.
#include "errors.hpp"
#include "fuzz_check.hpp"
#include "scheduler/calendar.hpp"

#include <set>

namespace {

using namespace autohost::scheduler;

CalendarDefaults defaults() {
  CalendarDefaults d;
  d.time_zone = "Europe/Berlin";
  d.now = Instant{std::chrono::seconds{1'774'744'200}};
  d.plugin = "threads";
  d.publishing_action = {{"threads", "post"}};
  return d;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static const CalendarDefaults d = defaults();
  const std::string_view text = fuzz::text_of(data, size);
  auto drafts = parse_calendar(text, "fuzz.json", d);
  if (!drafts) {
    fuzz::require_clean_error(drafts.error(), "parse_calendar");
    const auto message = autohost::host::error_message(drafts.error());
    fuzz::require(message.rfind("calendar fuzz.json: ", 0) == 0,
                  "a calendar error does not name the file", message);
    return 0;
  }
  auto again = parse_calendar(text, "fuzz.json", d);
  fuzz::require(again && again->size() == drafts->size(), "a calendar reads differently twice");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < drafts->size(); ++i) {
    const ScheduleDraft &draft = (*drafts)[i];
    fuzz::require(!draft.id.empty() && draft.id == (*again)[i].id,
                  "a calendar entry without a stable id", draft.id);
    ids.insert(draft.id);
    fuzz::require(!draft.plugin.empty() && !draft.target.empty(),
                  "a calendar entry without a target", draft.id);
    fuzz::require(fuzz::must_parse(draft.input_json, "a calendar entry's input").is_object(),
                  "a calendar entry's input is not an object", draft.input_json);
    auto stored = ScheduleSpec::from_stored(draft.spec.text(), draft.spec.zone_name());
    fuzz::require(stored && stored->text() == draft.spec.text(),
                  "a calendar entry's spec does not read back", draft.spec.text());
  }
  fuzz::require(ids.size() == drafts->size(), "two calendar entries share an id");
  return 0;
}
