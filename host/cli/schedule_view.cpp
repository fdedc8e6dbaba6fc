// Shared pieces of the schedule and runs commands.
#include "cli/schedule_view.hpp"

#include "capabilities.hpp"
#include "errors.hpp"
#include "scheduler/duration_text.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

int report_broken(const host::PluginRegistry &registry);

std::unique_ptr<ScheduleStore> open_schedule_store(Context &ctx, int &exit) {
  auto secrets = ctx.store();
  if (!secrets) {
    exit = report_error(secrets.error(), exit_store);
    return nullptr;
  }
  ScheduleStoreOptions options;
  // The location as configured: a URL keeps its password here (location() hides it).
  options.location = ctx.settings().store_file.string();
  auto opened = ScheduleStore::open(options);
  if (!opened) {
    exit = report_error(opened.error(), exit_store);
    return nullptr;
  }
  return std::move(opened).value();
}

Instant now_instant() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::optional<TargetKind> check_target(Context &ctx, const std::string &plugin,
                                       const std::string &name, int &exit) {
  const auto &registry = ctx.registry(plugin);
  auto lib = registry.find(plugin);
  if (lib == nullptr) {
    report_broken(registry);
    exit = report_error(
        host::make_error(AH_NOT_FOUND, "plugin_not_found",
                         "no plugin named '" + plugin + "' was found (see: autohost plugins)"),
        registry.broken().empty() ? exit_not_found : exit_plugin);
    return std::nullopt;
  }
  boost::system::error_code ec;
  const json::value manifest = json::parse(lib->manifest_json(), ec);
  auto has = [&](const char *list) {
    const json::value *items =
        ec || !manifest.is_object() ? nullptr : manifest.as_object().if_contains(list);
    if (items == nullptr || !items->is_array())
      return false;
    return std::any_of(items->as_array().begin(), items->as_array().end(), [&](const auto &item) {
      const json::value *n = item.is_object() ? item.as_object().if_contains("name") : nullptr;
      return n != nullptr && n->is_string() && n->as_string() == name;
    });
  };
  if (has("actions"))
    return TargetKind::action;
  if (has("jobs"))
    return TargetKind::job;
  exit = report_error(host::make_error(AH_NOT_FOUND, "not_found",
                                       "plugin '" + plugin + "' has no action or job named '" +
                                           name + "' (see: autohost actions " + plugin + ")"));
  return std::nullopt;
}

std::vector<std::string> secret_inputs_of(Context &ctx, const std::string &plugin,
                                          const std::string &action) {
  const auto lib = ctx.registry(plugin).find(plugin);
  return lib == nullptr ? std::vector<std::string>{}
                        : host::read_secret_inputs(lib->manifest_json(), action);
}

const std::vector<std::string> &SecretInputs::of(const std::string &plugin,
                                                 const std::string &action) {
  const std::string key = plugin + "." + action;
  auto fields = fields_.find(key);
  if (fields == fields_.end())
    fields = fields_.emplace(key, secret_inputs_of(ctx_, plugin, action)).first;
  return fields->second;
}

bool refuse_secret_inputs(SecretInputs &secrets, const ScheduleDraft &d, const std::string &where,
                          int &exit) {
  if (d.kind != TargetKind::action)
    return true;
  const std::string field = host::first_secret_input(d.input_json, secrets.of(d.plugin, d.target));
  if (field.empty())
    return true;
  const std::string target = d.plugin + "." + d.target;
  exit = usage_error("schedule", where + "input field '" + field + "' of " + target +
                                     " is a secret, and schedule inputs are stored and shown "
                                     "in plain text; run it once with `autohost invoke " +
                                     target + "` or keep the value with `autohost secrets set`");
  return false;
}

std::string InputRedactor::operator()(const std::string &plugin, TargetKind kind,
                                      const std::string &target, const std::string &input_json) {
  if (kind != TargetKind::action || input_json.empty())
    return input_json;
  return host::redact_secret_inputs(input_json, secrets_.of(plugin, target));
}

json::value stored_json(const std::string &text) {
  if (text.empty())
    return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(text) : v;
}

namespace {

json::value utc_or_null(const std::optional<Instant> &t) {
  return t ? json::value(format_utc(*t)) : json::value(nullptr);
}

} // namespace

boost::json::object schedule_json(const Schedule &s, InputRedactor &redact) {
  json::object o;
  o["id"] = s.id;
  o["name"] = s.name;
  o["target"] = s.plugin + "." + s.target;
  o["kind"] = name_of(s.kind);
  o["account"] = s.account.empty() ? json::value(nullptr) : json::value(s.account);
  o["input"] = stored_json(redact(s.plugin, s.kind, s.target, s.input_json));
  o["spec"] = s.spec;
  o["time_zone"] = s.time_zone;
  auto zone = find_zone(s.time_zone, "time zone");
  o["next_fire"] = s.next_fire && zone ? json::value(format_in_zone(*s.next_fire, *zone.value()))
                                       : json::value(nullptr);
  o["next_fire_utc"] = utc_or_null(s.next_fire);
  o["paused"] = s.paused;
  o["missed"] = name_of(s.missed);
  o["overlap"] = name_of(s.overlap);
  o["max_lateness"] = format_duration(s.max_lateness);
  o["jitter"] = format_duration(s.jitter);
  o["source"] = s.source;
  if (!s.problem.empty())
    o["problem"] = s.problem;
  o["created"] = format_utc(s.created);
  o["updated"] = format_utc(s.updated);
  return o;
}

boost::json::object run_json(const Run &r, InputRedactor &redact) {
  json::object o;
  o["id"] = r.id;
  o["schedule"] = r.schedule_id;
  o["target"] = r.plugin + "." + r.target;
  o["kind"] = name_of(r.kind);
  o["account"] = r.account.empty() ? json::value(nullptr) : json::value(r.account);
  o["input"] = stored_json(redact(r.plugin, r.kind, r.target, r.input_json));
  o["due"] = format_utc(r.due);
  o["status"] = name_of(r.status);
  o["attempts"] = r.attempts;
  o["not_before"] = format_utc(r.not_before);
  o["claimed_by"] = r.claimed_by.empty() ? json::value(nullptr) : json::value(r.claimed_by);
  o["lease_until"] = utc_or_null(r.lease_until);
  o["started"] = utc_or_null(r.started);
  o["finished"] = utc_or_null(r.finished);
  o["output"] = stored_json(r.output_json);
  o["error"] = stored_json(r.error_json);
  return o;
}

std::vector<std::string> upcoming_fires(const Schedule &s, Instant after, int count) {
  std::vector<std::string> out;
  auto spec = ScheduleSpec::from_stored(s.spec, s.time_zone);
  if (!spec || !s.next_fire)
    return out;
  std::optional<Instant> t = s.next_fire;
  while (t && static_cast<int>(out.size()) < count) {
    if (*t > after || out.empty())
      out.push_back(format_in_zone(*t, spec.value().zone()));
    t = spec.value().next_after(*t);
  }
  return out;
}

int report_store_error(const Error &error) { return report_error(error); }

} // namespace autohost::cli
