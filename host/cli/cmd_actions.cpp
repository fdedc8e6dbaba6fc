// `autohost actions [PLUGIN]` and `autohost jobs [PLUGIN]`: the actions (with their schemas)
// or the jobs (with their default schedules) that every - or one - plugin's manifest lists.
#include "cli/command.hpp"

#include "errors.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace autohost::cli {
namespace json = boost::json;

int report_broken(const host::PluginRegistry &registry);

namespace {

struct Listing {
  std::string_view command; // "actions" or "jobs"
  bool required;            // may a manifest leave the list out?
  // The text lines printed under "plugin.name" for one entry.
  std::string (*describe)(const json::object &entry);
};

std::string field_text(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr)
    return {};
  return v->is_string() ? std::string(v->as_string()) : json::serialize(*v);
}

int list_manifest_entries(Context &ctx, const std::vector<std::string> &args,
                          const Listing &listing) {
  po::options_description options("options");
  options.add_options()("json", "print a JSON array instead of text");
  po::positional_options_description pos;
  pos.add("plugin", 1);
  int exit = exit_ok;
  const std::string synopsis = std::string(listing.command) + " [PLUGIN] [--json]";
  auto vm = parse_command_args(listing.command, synopsis, args, options, pos, exit);
  if (!vm)
    return exit;

  const std::string name = vm->count("plugin") != 0 ? (*vm)["plugin"].as<std::string>() : "";
  const auto &registry = ctx.registry(name);
  std::vector<std::shared_ptr<const Library>> selected;
  if (!name.empty()) {
    auto lib = registry.find(name);
    if (lib == nullptr) {
      report_broken(registry);
      return report_error(
          host::make_error(AH_NOT_FOUND, "plugin_not_found",
                           "no plugin named '" + name + "' was found (see: autohost plugins)"),
          registry.broken().empty() ? exit_not_found : exit_plugin);
    }
    selected.push_back(lib);
  } else {
    selected = registry.plugins();
  }

  json::array all;
  for (const auto &lib : selected) {
    boost::system::error_code ec;
    json::value manifest = json::parse(lib->manifest_json(), ec);
    const json::value *list =
        ec || !manifest.is_object() ? nullptr : manifest.as_object().if_contains(listing.command);
    if ((list == nullptr && listing.required) || (list != nullptr && !list->is_array())) {
      return report_error(host::make_error(AH_INTERNAL, "bad_manifest",
                                           "plugin " + lib->path().string() +
                                               " has an invalid manifest (no " +
                                               std::string(listing.command) + " list)"),
                          exit_plugin);
    }
    if (list == nullptr)
      continue;
    for (const auto &item : list->as_array()) {
      if (!item.is_object())
        continue;
      json::object entry = item.as_object();
      entry["plugin"] = lib->name();
      all.push_back(std::move(entry));
    }
  }
  if (vm->count("json") != 0) {
    std::cout << json::serialize(all) << std::endl;
  } else {
    for (const auto &entry : all) {
      const auto &o = entry.as_object();
      std::cout << field_text(o, "plugin") << "." << field_text(o, "name") << "\n"
                << listing.describe(o) << "\n";
    }
    std::cout << std::flush;
  }
  return vm->count("plugin") != 0 ? exit_ok : report_broken(registry);
}

} // namespace

int run_actions(Context &ctx, const std::vector<std::string> &args) {
  return list_manifest_entries(ctx, args,
                               {"actions", true, [](const json::object &o) {
                                  return "  " + field_text(o, "description") +
                                         "\n  input:  " + field_text(o, "input_schema") +
                                         "\n  output: " + field_text(o, "output_schema") + "\n";
                                }});
}

// A plugin without jobs may leave the list out.
int run_jobs(Context &ctx, const std::vector<std::string> &args) {
  return list_manifest_entries(ctx, args,
                               {"jobs", false, [](const json::object &o) {
                                  return "  schedule: " + field_text(o, "default_schedule") +
                                         "\n  " + field_text(o, "description") + "\n";
                                }});
}

} // namespace autohost::cli
