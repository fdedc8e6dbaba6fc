// The plugin's identity and manifest (actions with JSON Schemas, jobs with schedules).
#pragma once

namespace threads {

inline constexpr const char *plugin_name = "threads";
inline constexpr const char *plugin_version = AH_PLUGIN_VERSION;
extern const char manifest_json[];

} // namespace threads
