// `autohost plugins`: every plugin found, with version, ABI and path; broken files too.
#include "cli/command.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <iostream>

namespace autohost::cli {
namespace json = boost::json;

namespace {
std::string abi_of(const Library &lib) {
  return std::to_string(lib.table().abi_major) + "." + std::to_string(lib.table().abi_minor);
}
} // namespace

// Reports each plugin file that failed to load; returns exit_plugin when there was one.
int report_broken(const host::PluginRegistry &registry) {
  int exit = exit_ok;
  for (const auto &broken : registry.broken()) {
    json::object line{{"status", "plugin_error"},
                      {"code", "plugin_load"},
                      {"file", broken.file.string()},
                      {"message", broken.error.message}};
    print_error_line(line);
    exit = exit_plugin;
  }
  return exit;
}

int run_plugins(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("json", "print a JSON array instead of a table");
  int exit = exit_ok;
  auto vm = parse_command_args("plugins", "plugins [--json]", args, options, {}, exit);
  if (!vm)
    return exit;

  const auto &registry = ctx.registry();
  if (vm->count("json") != 0) {
    json::array out;
    for (const auto &lib : registry.plugins()) {
      out.push_back(json::object{{"name", lib->name()},
                                 {"version", lib->version()},
                                 {"abi", abi_of(*lib)},
                                 {"path", lib->path().string()}});
    }
    std::cout << json::serialize(out) << std::endl;
  } else {
    std::printf("%-16s %-10s %-5s %s\n", "NAME", "VERSION", "ABI", "PATH");
    for (const auto &lib : registry.plugins()) {
      std::printf("%-16s %-10s %-5s %s\n", std::string(lib->name()).c_str(),
                  std::string(lib->version()).c_str(), abi_of(*lib).c_str(), lib->path().c_str());
    }
    std::fflush(stdout);
  }
  for (const auto &file : registry.shadowed()) {
    ctx.logger().log(AH_LOG_WARN, "autohost",
                     "plugin file ignored: an earlier one has the same name",
                     json::serialize(json::object{{"file", file.string()}}));
  }
  return report_broken(registry);
}

} // namespace autohost::cli
