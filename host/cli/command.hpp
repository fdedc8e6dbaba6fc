// What every CLI command shares: the resolved context, argument parsing and error output.
#pragma once

#include "cli/exit_codes.hpp"
#include "cli/settings.hpp"
#include "log.hpp"
#include "plugin_registry.hpp"
#include "store/sql_secret_store.hpp"

#include <autohost/result.hpp>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autohost::cli {

namespace po = boost::program_options;

class Context {
public:
  Context(Settings settings, host::Logger &logger)
      : settings_(std::move(settings)), logger_(logger) {}

  const Settings &settings() const noexcept { return settings_; }
  host::Logger &logger() noexcept { return logger_; }
  // Loaded on first use. With `only`, just the plugin of that name is looked for in the
  // plugin directories (see PluginRegistry::discover); commands that name one plugin pass it.
  const host::PluginRegistry &registry(std::string_view only = {});
  // Opened on first use; the error names the file and the reason.
  Result<store::SqlSecretStore *> store();
  // Before store(): the command makes one plugin call, so the store's reads share the
  // writer's connection instead of opening a second one (about a millisecond of `invoke`),
  // and keep no cache of what they read.
  void one_call() noexcept { one_call_ = true; }

private:
  Settings settings_;
  host::Logger &logger_;
  std::map<std::string, host::PluginRegistry, std::less<>> registries_; // by `only`
  std::unique_ptr<store::SqlSecretStore> store_;
  bool one_call_ = false;
};

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(Context &ctx, const std::vector<std::string> &args);
};

// Every command the CLI has, in the order `autohost --help` lists them.
const std::vector<Command> &commands();

// Writes one error line to stderr: JSON, unless stderr is a terminal and --json was not
// given (then a readable sentence; see error_style.hpp). On the journal it carries the error
// priority, as the log's lines carry theirs.
void print_error_line(const boost::json::object &line);

// Writes one error line to stderr, {"status", "code", "message", ...} (see
// print_error_line), and returns `exit_code`.
int report_error(const Error &error, int exit_code);
int report_error(const Error &error);
// Writes `v` as one line of JSON to stdout and returns exit_ok.
int print_json(const boost::json::value &v);
// A usage error (exit 2) for `command`.
int usage_error(std::string_view command, std::string_view message);

// Parses a command's arguments. Returns nullopt after printing help (`exit` set to 0) or
// a usage error (`exit` set to 2).
std::optional<po::variables_map>
parse_command_args(std::string_view command, std::string_view synopsis,
                   const std::vector<std::string> &args, po::options_description options,
                   const po::positional_options_description &pos, int &exit);

} // namespace autohost::cli
