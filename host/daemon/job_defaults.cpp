// Reading jobs and their default schedules from a manifest.
#include "daemon/job_defaults.hpp"

#include "errors.hpp"
#include "scheduler/schedule_spec.hpp"

#include <boost/json.hpp>

namespace autohost::daemon {
namespace json = boost::json;
using namespace autohost::scheduler;

JobDefaults job_defaults(const Library &library, Instant now, std::chrono::seconds jitter) {
  JobDefaults out;
  const std::string plugin(library.name());
  boost::system::error_code ec;
  const json::value manifest = json::parse(library.manifest_json(), ec);
  const json::value *jobs =
      ec || !manifest.is_object() ? nullptr : manifest.as_object().if_contains("jobs");
  if (jobs == nullptr || !jobs->is_array())
    return out;
  for (const auto &job : jobs->as_array()) {
    const json::object *o = job.if_object();
    const json::value *name = o == nullptr ? nullptr : o->if_contains("name");
    const json::value *when = o == nullptr ? nullptr : o->if_contains("default_schedule");
    if (name == nullptr || !name->is_string() || when == nullptr)
      continue;
    const std::string job_name(name->as_string());
    if (!when->is_string()) {
      out.problems.push_back(plugin + "." + job_name + ": default_schedule is not a string");
      continue;
    }
    const std::string text(when->as_string());
    auto spec =
        ScheduleSpec::parse(text, "UTC", now, "default_schedule of job " + plugin + "." + job_name);
    if (!spec) {
      out.problems.push_back(plugin + "." + job_name + ": " + host::error_message(spec.error()));
      continue;
    }
    ScheduleDraft draft(std::move(spec).value());
    draft.name = "default schedule of " + plugin + "." + job_name;
    draft.plugin = plugin;
    draft.kind = TargetKind::job;
    draft.target = job_name;
    draft.jitter = jitter;
    draft.content_hash = text + " jitter " + std::to_string(jitter.count()) + "s";
    out.drafts.push_back(std::move(draft));
  }
  return out;
}

} // namespace autohost::daemon
