// `autohost jobs [PLUGIN]`: the jobs of every (or one) plugin with their default schedules.
#include "command.hpp"

#include "../errors.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace autohost::cli {
namespace json = boost::json;

int report_broken(const host::PluginRegistry &registry);

int run_jobs(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("json", "print a JSON array instead of text");
  po::positional_options_description pos;
  pos.add("plugin", 1);
  int exit = exit_ok;
  auto vm = parse_command_args("jobs", "jobs [PLUGIN] [--json]", args, options, pos, exit);
  if (!vm)
    return exit;

  const auto &registry = ctx.registry();
  std::vector<std::shared_ptr<const Library>> selected;
  if (vm->count("plugin") != 0) {
    const auto name = (*vm)["plugin"].as<std::string>();
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
    const json::value *jobs =
        ec || !manifest.is_object() ? nullptr : manifest.as_object().if_contains("jobs");
    if (jobs == nullptr)
      continue; // a plugin without jobs may leave the list out
    if (!jobs->is_array()) {
      return report_error(host::make_error(AH_INTERNAL, "bad_manifest",
                                           "plugin " + lib->path().string() +
                                               " has an invalid manifest (jobs is not a list)"),
                          exit_plugin);
    }
    for (const auto &job : jobs->as_array()) {
      if (!job.is_object())
        continue;
      json::object entry = job.as_object();
      entry["plugin"] = lib->name();
      all.push_back(std::move(entry));
    }
  }
  if (vm->count("json") != 0) {
    std::cout << json::serialize(all) << std::endl;
  } else {
    for (const auto &j : all) {
      const auto &o = j.as_object();
      auto text = [&](std::string_view k) {
        const json::value *v = o.if_contains(k);
        return v == nullptr ? std::string()
                            : (v->is_string() ? std::string(v->as_string()) : json::serialize(*v));
      };
      std::cout << text("plugin") << "." << text("name")
                << "\n  schedule: " << text("default_schedule") << "\n  " << text("description")
                << "\n\n";
    }
    std::cout << std::flush;
  }
  return vm->count("plugin") != 0 ? exit_ok : report_broken(registry);
}

} // namespace autohost::cli
