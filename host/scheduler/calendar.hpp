// Reads a posting calendar file (JSON) into schedule drafts with stable ids.
#pragma once

#include "scheduler/schedule.hpp"

#include <autohost/result.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace autohost::scheduler {

// The file is either a list of entries or an object with defaults for its entries:
//   {"tz": "Europe/Berlin", "account": "alice", "plugin": "threads", "action": "post",
//    "max_lateness": "1h", "missed": "catch_up_once", "overlap": "skip",
//    "posts": [{"id": "launch", "at": "2026-05-04T09:00", "text": "We launch today"},
//              {"cron": "0 9 * * mon", "input": {"text": "Monday tip"}},
//              {"every": "6h", "start": "2026-05-04T00:00", "action": "publishing_limit"}]}
// An entry has exactly one of at / every (+ optional start) / cron, and text (the input
// {"text": ...}) or input or neither; it may override every default and give id, name,
// job (instead of action) and paused. Unknown fields are errors (typos must not vanish).
// Entries without an id get "cal-" and a hash of what they say, so the same file always
// yields the same ids; an edited entry without an id is a new entry.
struct CalendarDefaults {
  std::string time_zone; // used when neither the file nor the entry names one
  Instant now;           // anchors `every` entries without a start
  // The plugin when neither the file nor the entry names one (empty: they must), and each
  // plugin's action when neither names one or a job: the first action its manifest declares
  // it publishes with (capabilities.publishes).
  std::string plugin;
  std::map<std::string, std::string, std::less<>> publishing_action;
};

// Every error starts with "calendar <file_name>: " and names the entry and field
// ("posts[2].cron: ..."). Nothing is returned unless every entry is valid.
Result<std::vector<ScheduleDraft>> parse_calendar(std::string_view json_text,
                                                  std::string_view file_name,
                                                  const CalendarDefaults &defaults);

} // namespace autohost::scheduler
