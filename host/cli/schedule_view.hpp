// What the schedule and runs commands share: opening the schedule store, checking a
// PLUGIN.ACTION/JOB target, and showing schedules and runs as JSON or table rows.
#pragma once

#include "cli/command.hpp"
#include "cli/table.hpp"

#include "scheduler/schedule_store.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace autohost::cli {

// Opens (creating on first use) the store file through the secret store, so the file, its
// master key and its checks are the same as for `secrets`, then the scheduler's tables.
// On failure the error has been reported and `exit` holds the exit code.
std::unique_ptr<scheduler::ScheduleStore> open_schedule_store(Context &ctx, int &exit);

scheduler::Instant now_instant();

// Whether the plugin's manifest has an action or a job of that name. Errors (reported,
// `exit` set): the plugin is not found or broken, or has no such action or job.
std::optional<scheduler::TargetKind> check_target(Context &ctx, const std::string &plugin,
                                                  const std::string &name, int &exit);

// The input fields of PLUGIN.ACTION that its manifest marks secret (none for a plugin that
// is not found). Only that plugin is loaded.
std::vector<std::string> secret_inputs_of(Context &ctx, const std::string &plugin,
                                          const std::string &action);

// secret_inputs_of, each action's manifest read once: a calendar of 100,000 entries for one
// action reads it once, not 100,000 times.
class SecretInputs {
public:
  explicit SecretInputs(Context &ctx) : ctx_(ctx) {}
  const std::vector<std::string> &of(const std::string &plugin, const std::string &action);

private:
  Context &ctx_;
  std::map<std::string, std::vector<std::string>> fields_; // by PLUGIN.ACTION
};

// An input stored before its action's manifest marked a field secret (or written by another
// tool) is shown with that field "[redacted]", wherever it is printed.
class InputRedactor {
public:
  explicit InputRedactor(Context &ctx) : secrets_(ctx) {}
  std::string operator()(const std::string &plugin, scheduler::TargetKind kind,
                         const std::string &target, const std::string &input_json);

private:
  SecretInputs secrets_;
};

// Schedules and their runs are stored and printed in plain text, so an input holding a field
// its action's manifest marks secret is refused: a usage error naming `where`, the field and
// the command to use instead (`exit` set), false. True when the input holds none.
bool refuse_secret_inputs(SecretInputs &secrets, const scheduler::ScheduleDraft &d,
                          const std::string &where, int &exit);

// Stored JSON text as a value: null when empty, the text itself when it does not parse.
boost::json::value stored_json(const std::string &text);

boost::json::object schedule_json(const scheduler::Schedule &s, InputRedactor &redact);
boost::json::object run_json(const scheduler::Run &r, InputRedactor &redact);
// The next `count` fire times after `after` in the schedule's zone ("...+02:00").
std::vector<std::string> upcoming_fires(const scheduler::Schedule &s, scheduler::Instant after,
                                        int count);

// --at, --every (--start), --cron and --tz, as `schedule add` and `schedule edit` take them.
void add_when_options(po::options_description &options);
// The schedule's when from those flags (at most one of --at, --every, --cron; none: --cron
// is asked for, so call it when one is given). Errors name the flag.
Result<scheduler::ScheduleSpec> spec_from_flags(const po::variables_map &vm,
                                                scheduler::Instant now);

// An error from the schedule store with the exit code its status maps to.
int report_store_error(const Error &error);

} // namespace autohost::cli
