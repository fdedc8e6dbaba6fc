// `autohost schedule import FILE`: adds or updates the entries of a posting calendar.
#include "cli/command.hpp"

#include "capabilities.hpp"
#include "cli/input.hpp"
#include "cli/schedule_view.hpp"
#include "errors.hpp"
#include "scheduler/calendar.hpp"

#include <boost/json.hpp>

#include <iostream>
#include <set>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

namespace {

constexpr std::string_view import_synopsis =
    "schedule import FILE [--tz ZONE] [--dry-run]   (FILE '-': stdin)\n\n"
    "FILE is a posting calendar (JSON; see the README). Entries are matched by id: new ones\n"
    "are added, changed ones updated, the same file again changes nothing. Every entry is\n"
    "checked first; one bad entry imports nothing. --tz is the zone for entries and files\n"
    "that name none (default: TZ, else the system zone, else UTC).";

json::array strings(const std::vector<std::string> &items) {
  json::array out;
  for (const auto &s : items)
    out.emplace_back(s);
  return out;
}

// The calendar text of FILE ("-": stdin); nullopt after a usage error (`exit` set).
std::optional<std::string> read_calendar(const std::string &file, int &exit) {
  auto text = file == "-" ? read_stdin() : read_file_capped(file, "calendar " + file);
  if (!text) {
    exit = usage_error("schedule", host::error_message(text.error()));
    return std::nullopt;
  }
  return std::move(text).value();
}

// Whether every entry's target exists and is of the kind the entry says, and no entry's input
// holds a secret; false after reporting the first that fails (`exit` set).
bool check_targets(Context &ctx, const std::vector<ScheduleDraft> &entries, const std::string &file,
                   int &exit) {
  std::set<std::pair<std::string, std::string>> checked;
  SecretInputs secrets(ctx);
  for (const auto &d : entries) {
    if (checked.emplace(d.plugin, d.target).second) {
      const auto kind = check_target(ctx, d.plugin, d.target, exit);
      if (!kind)
        return false;
      if (*kind != d.kind) {
        exit = usage_error("schedule", "calendar " + file + ": entry '" + d.id + "' names " +
                                           d.plugin + "." + d.target + " as " +
                                           std::string(name_of(d.kind)) + ", but it is a " +
                                           std::string(name_of(*kind)));
        return false;
      }
    }
    if (!refuse_secret_inputs(secrets, d, "calendar " + file + ": entry '" + d.id + "': ", exit))
      return false;
  }
  return true;
}

// --dry-run: what the calendar holds and when each entry fires next.
void print_dry_run(const std::vector<ScheduleDraft> &entries, Instant now) {
  json::array out;
  for (const auto &d : entries) {
    const auto next = d.spec.first_fire(now);
    out.push_back(json::object{
        {"id", d.id},
        {"target", d.plugin + "." + d.target},
        {"spec", d.spec.text()},
        {"time_zone", d.spec.zone_name()},
        {"next_fire", next ? json::value(format_in_zone(*next, d.spec.zone())) : nullptr}});
  }
  std::cout << json::serialize(json::object{{"entries", out}}) << std::endl;
}

// Defaults from what the installed plugins declare: each plugin's first publishing action,
// and the plugin itself when it is the only one that publishes (so a calendar for the
// Threads plugin alone need not say "threads" or "post").
CalendarDefaults calendar_defaults(Context &ctx, std::string zone, Instant now) {
  CalendarDefaults d{std::move(zone), now, {}, {}};
  for (const auto &lib : ctx.registry().plugins()) {
    auto caps = host::read_capabilities(lib->manifest_json(), lib->name());
    if (caps && !caps->publishes.empty())
      d.publishing_action.emplace(std::string(lib->name()), caps->publishes.front());
  }
  if (d.publishing_action.size() == 1)
    d.plugin = d.publishing_action.begin()->first;
  return d;
}

} // namespace

int run_schedule_import(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("tz", po::value<std::string>(), "zone for entries without one")(
      "dry-run", "check the file and print what it holds; change nothing");
  po::positional_options_description pos;
  pos.add("file", 1);
  int exit = exit_ok;
  auto vm = parse_command_args("schedule", import_synopsis, args, options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("file") == 0)
    return usage_error("schedule", "schedule import needs a FILE");
  const auto file = (*vm)["file"].as<std::string>();
  auto text = read_calendar(file, exit);
  if (!text)
    return exit;
  const std::string zone =
      vm->count("tz") != 0 ? (*vm)["tz"].as<std::string>() : default_zone_name();
  if (auto tz = find_zone(zone, "--tz"); !tz) {
    return usage_error("schedule", host::error_message(tz.error()));
  }
  const Instant now = now_instant();
  auto entries =
      parse_calendar(*text, file == "-" ? "stdin" : file, calendar_defaults(ctx, zone, now));
  if (!entries)
    return usage_error("schedule", host::error_message(entries.error()));

  // Every target must exist before anything is written.
  if (!check_targets(ctx, entries.value(), file, exit))
    return exit;
  if (vm->count("dry-run") != 0) {
    print_dry_run(entries.value(), now);
    return exit_ok;
  }

  auto store = open_schedule_store(ctx, exit);
  if (!store)
    return exit;
  auto report = store->import_calendar(entries.value(), now);
  if (!report)
    return report_store_error(report.error());
  json::array refused;
  for (const auto &[id, why] : report.value().refused) {
    refused.push_back(json::object{{"id", id}, {"reason", why}});
  }
  std::cout << json::serialize(json::object{{"created", strings(report.value().created)},
                                            {"updated", strings(report.value().updated)},
                                            {"unchanged", strings(report.value().unchanged)},
                                            {"past", strings(report.value().past)},
                                            {"refused", refused}})
            << std::endl;
  return exit_ok;
}

} // namespace autohost::cli
