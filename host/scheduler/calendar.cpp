// Reads a posting calendar file into schedule drafts with stable ids.
#include "scheduler/calendar.hpp"

#include "errors.hpp"
#include "scheduler/duration_text.hpp"
#include "scheduler/ids.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace autohost::scheduler {
namespace json = boost::json;

namespace {

// Object keys sorted at every level, so equal content always hashes alike.
json::value canonical(const json::value &v) {
  if (v.is_object()) {
    std::vector<std::pair<std::string, const json::value *>> items;
    for (const auto &[k, x] : v.as_object())
      items.emplace_back(std::string(k), &x);
    std::sort(items.begin(), items.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    json::object out;
    for (const auto &[k, x] : items)
      out[k] = canonical(*x);
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (const auto &x : v.as_array())
      out.push_back(canonical(x));
    return out;
  }
  return v;
}

const std::set<std::string> file_fields = {"tz",           "account", "plugin",  "action", "job",
                                           "max_lateness", "missed",  "overlap", "posts"};
const std::set<std::string> entry_fields = {
    "id",     "name", "at",   "every", "start",  "cron",   "tz",      "account",     "plugin",
    "action", "job",  "text", "input", "paused", "missed", "overlap", "max_lateness"};

class CalendarReader {
public:
  CalendarReader(std::string_view file, const CalendarDefaults &defaults)
      : file_(file), defaults_(defaults) {}

  Result<std::vector<ScheduleDraft>> read(std::string_view text) {
    boost::system::error_code ec;
    json::parser parser;
    const size_t used = parser.write(text.data(), text.size(), ec);
    if (ec) {
      return fail("is not valid JSON: " + ec.message() + " at byte " + std::to_string(used));
    }
    const json::value doc = parser.release();
    const json::array *posts = nullptr;
    if (doc.is_array()) {
      posts = &doc.as_array();
    } else if (doc.is_object()) {
      file_defaults_ = &doc.as_object();
      for (const auto &[k, v] : doc.as_object()) {
        if (file_fields.count(std::string(k)) == 0) {
          return fail("unknown field '" + std::string(k) +
                      "' (known: tz, account, plugin, "
                      "action, job, max_lateness, missed, "
                      "overlap, posts)");
        }
        if (k != "posts" && !v.is_string())
          return fail(std::string(k) + " must be a string");
      }
      const json::value *p = doc.as_object().if_contains("posts");
      if (p == nullptr || !p->is_array())
        return fail("'posts' must be a list of entries");
      posts = &p->as_array();
    } else {
      return fail("must hold a list of entries or an object with a 'posts' list");
    }
    std::vector<ScheduleDraft> drafts;
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < posts->size(); ++i) {
      AH_TRY_DECLARE(draft, entry((*posts)[i], "posts[" + std::to_string(i) + "]"));
      if (auto [it, fresh] = seen.emplace(draft.id, i); !fresh) {
        return fail("posts[" + std::to_string(i) + "] has the same id '" + draft.id +
                    "' as posts[" + std::to_string(it->second) + "]" +
                    (has_explicit_id_ ? "" : " (the two entries say the same thing)"));
      }
      drafts.push_back(std::move(draft));
    }
    return drafts;
  }

private:
  Error fail(const std::string &why) const {
    return host::make_error(AH_INVALID_INPUT, "invalid_calendar",
                            "calendar " + std::string(file_) + ": " + why);
  }
  Error fail(const Error &inner) const { return fail(host::error_message(inner)); }

  // The entry's string field, else the file's default, else nullopt. Non-strings are errors.
  Result<std::optional<std::string>> text_field(const json::object &e, const std::string &at,
                                                const char *name, bool inherit = true) {
    const json::value *v = e.if_contains(name);
    std::string where = at + "." + name;
    if (v == nullptr && inherit && file_defaults_ != nullptr) {
      v = file_defaults_->if_contains(name);
      where = name;
    }
    if (v == nullptr)
      return std::optional<std::string>();
    if (!v->is_string())
      return fail(where + " must be a string");
    return std::optional<std::string>(std::string(v->as_string()));
  }

  // An entry's string fields, each from the entry or (for the inheritable ones) the file's
  // defaults; an absent one is nullopt.
  using Fields = std::map<std::string, std::optional<std::string>>;

  Result<Fields> fields(const json::object &e, const std::string &at) {
    for (const auto &[k, v] : e) {
      if (entry_fields.count(std::string(k)) == 0) {
        return fail(at + ": unknown field '" + std::string(k) + "'");
      }
    }
    Fields s;
    for (const char *name :
         {"tz", "account", "plugin", "action", "job", "max_lateness", "missed", "overlap"}) {
      AH_TRY_ASSIGN(s[name], text_field(e, at, name));
    }
    for (const char *name : {"id", "name", "at", "every", "start", "cron", "text"}) {
      AH_TRY_ASSIGN(s[name], text_field(e, at, name, false));
    }
    return s;
  }

  // When the entry runs: exactly one of at, every (with its optional start) or cron.
  Result<ScheduleSpec> when(Fields &s, const std::string &at) {
    const int whens = (s["at"] ? 1 : 0) + (s["every"] ? 1 : 0) + (s["cron"] ? 1 : 0);
    if (whens != 1)
      return fail(at + ": give exactly one of at, every or cron");
    if (s["start"] && !s["every"])
      return fail(at + ".start only goes with every");
    const std::string zone = s["tz"].value_or(defaults_.time_zone);
    auto spec = s["at"] ? ScheduleSpec::at(*s["at"], zone, at + ".at")
                : s["every"]
                    ? ScheduleSpec::every(*s["every"],
                                          s["start"] ? std::optional<std::string_view>(*s["start"])
                                                     : std::nullopt,
                                          zone, defaults_.now, at + ".every")
                    : ScheduleSpec::cron(*s["cron"], zone, at + ".cron");
    if (!spec)
      return fail(spec.error());
    return std::move(spec).value();
  }

  // The plugin and the action or job the entry runs, with the file's defaults.
  Result<Done> target(ScheduleDraft &d, const json::object &e, Fields &s, const std::string &at) {
    d.plugin = s["plugin"].value_or(defaults_.plugin);
    if (d.plugin.empty()) {
      return fail(at + ": name the plugin (no single installed plugin declares publishing "
                       "actions to use by default)");
    }
    // An entry's own action or job wins over either default from the file.
    const bool entry_job = e.contains("job");
    const bool entry_action = e.contains("action");
    if (entry_job || (!entry_action && s["job"] && !s["action"])) {
      d.kind = TargetKind::job;
      d.target = *s["job"];
    } else if (s["action"]) {
      d.target = *s["action"];
    } else {
      // The plugin's first publishing action (its manifest's capabilities).
      auto found = defaults_.publishing_action.find(d.plugin);
      if (found == defaults_.publishing_action.end()) {
        return fail(at + ": name the action (plugin '" + d.plugin +
                    "' declares no publishing action to use by default)");
      }
      d.target = found->second;
    }
    if (d.target.empty()) {
      return fail(at + ": the " + (d.kind == TargetKind::job ? "job" : "action") +
                  " name is empty");
    }
    if (s["account"]) {
      if (auto ok = validate_account(*s["account"], at + ".account"); !ok)
        return fail(ok.error());
      d.account = *s["account"];
    }
    return Done{};
  }

  // The action's input: `input` as given (keys sorted), or {"text": text}, or {}.
  Result<json::value> input(const json::object &e, Fields &s, const std::string &at) {
    const json::value *input = e.if_contains("input");
    if (input != nullptr && s["text"])
      return fail(at + ": give text or input, not both");
    if (input != nullptr) {
      if (!input->is_object())
        return fail(at + ".input must be a JSON object");
      return canonical(*input);
    }
    if (s["text"])
      return json::value(json::object{{"text", *s["text"]}});
    return json::value(json::object());
  }

  // max_lateness, missed, overlap and paused; the defaults stand where they are absent.
  Result<Done> policies(ScheduleDraft &d, const json::object &e, Fields &s, const std::string &at) {
    if (s["max_lateness"]) {
      auto lateness = parse_duration(*s["max_lateness"], at + ".max_lateness");
      if (!lateness)
        return fail(lateness.error());
      d.max_lateness = lateness.value();
    }
    if (s["missed"]) {
      auto p = missed_policy_named(*s["missed"]);
      if (!p)
        return fail(at + ".missed must be catch_up_once or skip, not '" + *s["missed"] + "'");
      d.missed = *p;
    }
    if (s["overlap"]) {
      auto p = overlap_policy_named(*s["overlap"]);
      if (!p) {
        return fail(at + ".overlap must be skip, queue or allow, not '" + *s["overlap"] + "'");
      }
      d.overlap = *p;
    }
    if (const json::value *p = e.if_contains("paused")) {
      if (!p->is_bool())
        return fail(at + ".paused must be true or false");
      d.paused = p->as_bool();
    }
    return Done{};
  }

  // The content hash of what the entry says, as written (not resolved), so re-reading the
  // file agrees; the id is the entry's own or derived from the hash, the name defaults to it.
  Result<Done> identify(ScheduleDraft &d, const json::value &input_value, Fields &s,
                        const std::string &at) {
    json::object said;
    said["account"] = d.account;
    said["input"] = input_value;
    said["kind"] = name_of(d.kind);
    said["max_lateness_s"] = d.max_lateness.count();
    said["missed"] = name_of(d.missed);
    said["overlap"] = name_of(d.overlap);
    said["paused"] = d.paused;
    said["plugin"] = d.plugin;
    said["target"] = d.target;
    said["tz"] = d.spec.zone_name();
    said["when"] = s["at"]      ? "at " + *s["at"]
                   : s["every"] ? "every " + *s["every"] + " from " + s["start"].value_or("import")
                                : "cron " + *s["cron"];
    if (s["name"])
      said["name"] = *s["name"];
    d.content_hash = content_hash(json::serialize(said));
    if (s["id"]) {
      has_explicit_id_ = true;
      if (auto ok = validate_schedule_id(*s["id"], at + ".id"); !ok)
        return fail(ok.error());
      d.id = *s["id"];
    } else {
      d.id = "cal-" + d.content_hash.substr(0, 16);
    }
    d.name = s["name"].value_or(d.id);
    if (auto ok = validate_schedule_name(d.name, at + ".name"); !ok)
      return fail(ok.error());
    return Done{};
  }

  Result<ScheduleDraft> entry(const json::value &value, const std::string &at) {
    has_explicit_id_ = false;
    if (!value.is_object())
      return fail(at + " must be an object");
    const json::object &e = value.as_object();
    AH_TRY_DECLARE(s, fields(e, at));
    if (e.contains("action") && e.contains("job")) {
      return fail(at + ": give action or job, not both");
    }
    AH_TRY_DECLARE(spec, when(s, at));
    ScheduleDraft d(std::move(spec));
    d.source = "calendar";
    AH_TRY(target(d, e, s, at));
    AH_TRY_DECLARE(input_value, input(e, s, at));
    d.input_json = json::serialize(input_value);
    AH_TRY(policies(d, e, s, at));
    AH_TRY(identify(d, input_value, s, at));
    return d;
  }

  std::string_view file_;
  const CalendarDefaults &defaults_;
  const json::object *file_defaults_ = nullptr;
  bool has_explicit_id_ = false;
};

} // namespace

Result<std::vector<ScheduleDraft>> parse_calendar(std::string_view json_text,
                                                  std::string_view file_name,
                                                  const CalendarDefaults &defaults) {
  return CalendarReader(file_name, defaults).read(json_text);
}

} // namespace autohost::scheduler
