// The autohost command line: parses global flags, resolves settings, dispatches a command.
#include "cli/app.hpp"

#include "cli/command.hpp"
#include "cli/did_you_mean.hpp"
#include "cli/error_style.hpp"
#include "errors.hpp"
#include "process_guard.hpp"

#include <cstdlib>
#include <exception>
#include <iostream>

namespace autohost::cli {

int run_plugins(Context &ctx, const std::vector<std::string> &args);
int run_actions(Context &ctx, const std::vector<std::string> &args);
int run_invoke(Context &ctx, const std::vector<std::string> &args);
int run_secrets(Context &ctx, const std::vector<std::string> &args);
int run_schedule(Context &ctx, const std::vector<std::string> &args);
int run_store(Context &ctx, const std::vector<std::string> &args);
int run_runs(Context &ctx, const std::vector<std::string> &args);
int run_jobs(Context &ctx, const std::vector<std::string> &args);
int run_job(Context &ctx, const std::vector<std::string> &args);
int run_run(Context &ctx, const std::vector<std::string> &args);
int run_status(Context &ctx, const std::vector<std::string> &args);

const std::vector<Command> &commands() {
  static const std::vector<Command> all = {
      {"plugins", "list the plugins found, with version, ABI and path", &run_plugins},
      {"actions", "list the actions of all or one plugin, with JSON Schemas", &run_actions},
      {"invoke", "run PLUGIN.ACTION with JSON input; JSON result on stdout", &run_invoke},
      {"secrets", "set, get, list or remove secrets in the store", &run_secrets},
      {"schedule", "add, list, show, edit, remove, pause or resume schedules; import a calendar",
       &run_schedule},
      {"runs", "the history of scheduled runs; retry one, prune old ones", &run_runs},
      {"status", "accounts, upcoming runs, runs at risk and runs needing attention", &run_status},
      {"jobs", "list the jobs of all or one plugin, with default schedules", &run_jobs},
      {"job", "run PLUGIN.JOB now; its JSON report on stdout", &run_job},
      {"run", "the scheduler daemon: run schedules as they come due (--once: due now)", &run_run},
      {"store", "copy a whole store between SQLite and PostgreSQL, or back one up to a file",
       &run_store},
  };
  return all;
}

namespace {

po::options_description global_options() {
  po::options_description global("global options");
  global.add_options()("plugin", po::value<std::vector<std::string>>(),
                       "load this plugin file (repeatable)")(
      "plugin-dir", po::value<std::vector<std::string>>(),
      "look for plugins in this directory (repeatable)")("store", po::value<std::string>(),
                                                         "the secret store file")(
      "config", po::value<std::string>(), "the config file (JSON)")(
      "log-level", po::value<std::string>(), "debug, info, warn (default) or error")(
      "allow-core-dumps", "let this process be dumped and traced (debugging only: a core file "
                          "holds the master key and tokens)")(
      "json", "errors as JSON lines even on a terminal (elsewhere they always are); "
              "commands with a table print JSON")("version", "print the autohost version")(
      "help,h", "show this help");
  return global;
}

// The flag or AUTOHOST_ALLOW_CORE_DUMPS=1 turns the protection off; 0 or unset keeps it.
Result<host::CoreDumps> core_dumps_wanted(bool flag) {
  const char *env = std::getenv("AUTOHOST_ALLOW_CORE_DUMPS");
  const std::string_view value = env == nullptr ? "" : env;
  if (value != "" && value != "0" && value != "1") {
    return host::make_error(AH_INVALID_INPUT, "usage",
                            "AUTOHOST_ALLOW_CORE_DUMPS must be 1 or 0, not '" + std::string(value) +
                                "'");
  }
  return flag || value == "1" ? host::CoreDumps::allowed : host::CoreDumps::refused;
}

// To stdout when asked for (--help, `help`); to stderr when it stands in for a usage error
// (bare `autohost`), so `autohost | less` and scripts see no help text as output.
void print_help(const po::options_description &global, std::ostream &out = std::cout) {
  out << "usage: autohost [global options] COMMAND [options]\n\ncommands:\n";
  for (const auto &c : commands()) {
    out << "  " << c.name << std::string(10 - c.name.size(), ' ') << c.summary << "\n";
  }
  out << "\n"
      << global << "\nenvironment: AUTOHOST_PLUGIN_PATH, AUTOHOST_STORE, "
      << "AUTOHOST_STATE_DIR, AUTOHOST_MASTER_KEY, AUTOHOST_MASTER_KEY_FILE, "
      << "AUTOHOST_CONFIG, AUTOHOST_LOG_LEVEL, AUTOHOST_ALLOW_CORE_DUMPS\n"
      << "config file: --config, AUTOHOST_CONFIG, else the first that exists of\n"
      << "  $XDG_CONFIG_HOME/autohost/config.json (~/.config/autohost/config.json),\n"
      << "  DIR/autohost/config.json for each DIR of $XDG_CONFIG_DIRS (/etc/xdg),\n"
      << "  /etc/autohost/config.json\n"
      << "test-only: AUTOHOST_TEST_CLOCK_OFFSET_S shifts the clock plugins see\n"
      << "`autohost help COMMAND` (or `autohost COMMAND --help`) describes a command.\n"
      << std::flush;
}

const Command *find_command(std::string_view name) {
  for (const auto &c : commands()) {
    if (c.name == name)
      return &c;
  }
  return nullptr;
}

int unknown_command(const std::string &name) {
  std::vector<std::string_view> known = {"help"};
  for (const auto &c : commands())
    known.push_back(c.name);
  return usage_error("", "unknown command '" + name + "'" + did_you_mean(name, known));
}

// A command's help (`args` end in --help). It is printed before a command reads its
// settings, so it needs none: help works with a broken config file, and `autohost help
// CMD` and `autohost CMD --help` are one text.
int command_help(const Command &command, const std::vector<std::string> &args) {
  host::Logger logger(stderr, AH_LOG_WARN);
  Context ctx(Settings{}, logger);
  return command.run(ctx, args);
}

// `autohost help [COMMAND [SUBCOMMAND]]`; `help --commands` lists "NAME<TAB>SUMMARY" lines
// for the man pages and the shell completion, which are built from this binary's help.
int run_help(const po::options_description &global, std::vector<std::string> args) {
  if (args.empty()) {
    print_help(global);
    return exit_ok;
  }
  if (args.front() == "--commands") {
    for (const auto &c : commands())
      std::cout << c.name << "\t" << c.summary << "\n";
    std::cout << std::flush;
    return exit_ok;
  }
  const Command *command = find_command(args.front());
  if (command == nullptr)
    return unknown_command(args.front());
  args.erase(args.begin());
  args.emplace_back("--help");
  return command_help(*command, args);
}

int dispatch(int argc, char **argv) {
  const po::options_description global = global_options();
  po::options_description stage1;
  stage1.add(global).add_options()("command", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("command", 1).add("command-args", -1);
  stage1.add_options()("command-args", po::value<std::vector<std::string>>());

  po::variables_map vm;
  po::parsed_options parsed(nullptr);
  try {
    // Unknown flags belong to the command and are parsed again by it.
    parsed =
        po::command_line_parser(argc, argv)
            .options(stage1)
            .positional(pos)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .allow_unregistered()
            .run();
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error &e) {
    return usage_error("", e.what());
  }
  if (vm.count("json") != 0)
    force_json_errors();
  if (vm.count("version") != 0) {
    std::cout << "autohost " << AH_VERSION << " (plugin ABI " << AH_ABI_MAJOR << "." << AH_ABI_MINOR
              << ")" << std::endl;
    return exit_ok;
  }
  if (vm.count("command") == 0) {
    if (vm.count("help") != 0) {
      print_help(global);
      return exit_ok;
    }
    print_help(global, std::cerr);
    return exit_usage;
  }
  auto core_dumps = core_dumps_wanted(vm.count("allow-core-dumps") != 0);
  if (!core_dumps)
    return usage_error("", host::error_message(core_dumps.error()));
  // Before the config is read, any plugin loaded or any secret decrypted.
  const std::vector<std::string> unguarded = host::guard_process(core_dumps.value());

  const auto name = vm["command"].as<std::string>();
  // A flag before the command that is not global belongs to no command: naming it beats
  // handing the command a shifted argument list.
  for (const auto &option : parsed.options) {
    if (option.string_key == "command")
      break;
    if (option.unregistered && !option.original_tokens.empty()) {
      const std::string &typed = option.original_tokens.front();
      const std::string flag = typed.substr(0, typed.find('='));
      return usage_error("", "unknown global option '" + flag +
                                 "' before the command (a command's own options go after it)" +
                                 did_you_mean(flag, {"--plugin", "--plugin-dir", "--store",
                                                     "--config", "--log-level", "--json",
                                                     "--allow-core-dumps", "--version", "--help"}));
    }
  }
  // Everything after the command that stage 1 did not consume, in order.
  std::vector<std::string> rest = po::collect_unrecognized(parsed.options, po::include_positional);
  rest.erase(rest.begin()); // the command name itself
  if (vm.count("json") != 0 && name != "help")
    rest.emplace_back("--json"); // stage 1 took it wherever it was; the command wants it too
  if (name == "help")
    return run_help(global, rest);
  const Command *command = find_command(name);
  if (command == nullptr)
    return unknown_command(name);
  if (vm.count("help") != 0) {
    rest.emplace_back("--help");
    return command_help(*command, rest);
  }

  GlobalFlags flags;
  if (vm.count("plugin") != 0)
    flags.plugin_files = vm["plugin"].as<std::vector<std::string>>();
  if (vm.count("plugin-dir") != 0) {
    flags.plugin_dirs = vm["plugin-dir"].as<std::vector<std::string>>();
  }
  if (vm.count("store") != 0)
    flags.store = vm["store"].as<std::string>();
  if (vm.count("config") != 0)
    flags.config = vm["config"].as<std::string>();
  if (vm.count("log-level") != 0)
    flags.log_level = vm["log-level"].as<std::string>();

  auto settings = resolve_settings(flags);
  if (!settings) {
    return host::error_code(settings.error()) == "usage"
               ? usage_error(name, host::error_message(settings.error()))
               : report_error(settings.error(), exit_usage);
  }
  host::Logger logger(stderr, settings.value().log_level);
  for (const auto &problem : unguarded)
    logger.log(AH_LOG_WARN, "autohost", problem);
  Context ctx(std::move(settings).value(), logger);
  return command->run(ctx, rest);
}

} // namespace

int run(int argc, char **argv) {
  try {
    return dispatch(argc, argv);
  } catch (const std::exception &e) {
    return report_error(host::make_error(AH_INTERNAL, "internal", e.what()), exit_internal);
  }
}

} // namespace autohost::cli
