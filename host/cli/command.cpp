// Shared pieces of the CLI commands.
#include "cli/command.hpp"

#include "cli/error_style.hpp"
#include "errors.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <iostream>

namespace autohost::cli {
namespace json = boost::json;

const host::PluginRegistry &Context::registry(std::string_view only) {
  auto found = registries_.find(only);
  if (found == registries_.end()) {
    found = registries_
                .emplace(std::string(only),
                         host::PluginRegistry::discover(settings_.plugin_search, only))
                .first;
  }
  return found->second;
}

Result<store::SqlSecretStore *> Context::store() {
  if (!store_) {
    if (settings_.no_store_reason)
      return *settings_.no_store_reason;
    store::SecretStoreOptions options{settings_.store_file, settings_.master_key};
    if (one_call_) {
      options.read_connections = 0;
      options.cache_lifetime = {};
    }
    AH_TRY_ASSIGN(store_, store::SqlSecretStore::open(options));
  }
  return store_.get();
}

void print_error_line(const json::object &line) {
  if (readable_errors()) {
    std::cerr << readable_error(line, colour_allowed()) << std::endl;
    return;
  }
  if (host::is_journal_stream(stderr))
    std::cerr << host::journal_prefix(AH_LOG_ERROR);
  std::cerr << json::serialize(line) << std::endl;
}

int report_error(const Error &error, int exit_code) {
  json::object line;
  line["status"] = status_name(error.status);
  boost::system::error_code ec;
  json::value body = json::parse(error.body, ec);
  if (!ec && body.is_object()) {
    for (auto &[k, v] : body.as_object())
      line[k] = v;
  } else {
    line["message"] = error.body;
  }
  print_error_line(line);
  return exit_code;
}

int report_error(const Error &error) {
  // The store's own failures (corrupt, tampered, full disk) are store failures, whichever
  // operation met them; a busy store stays "retry later".
  const std::string code = host::error_code(error);
  if (error.status == AH_INTERNAL && code.starts_with("store"))
    return report_error(error, exit_store);
  return report_error(error, exit_code_for(error.status));
}

int print_json(const json::value &v) {
  std::cout << json::serialize(v) << std::endl;
  return exit_ok;
}

int usage_error(std::string_view command, std::string_view message) {
  json::object line;
  line["status"] = "usage";
  line["code"] = "usage";
  line["message"] = std::string(message) + " (see: autohost " + std::string(command) +
                    (command.empty() ? "" : " ") + "--help)";
  print_error_line(line);
  return exit_usage;
}

std::optional<po::variables_map>
parse_command_args(std::string_view command, std::string_view synopsis,
                   const std::vector<std::string> &args, po::options_description options,
                   const po::positional_options_description &pos, int &exit) {
  options.add_options()("help,h", "show this help");
  po::options_description hidden;
  // The global --json (errors as JSON on a terminal too) reaches every command; those with
  // a JSON output of their own list it in their help.
  if (options.find_nothrow("json", false) == nullptr)
    hidden.add_options()("json", "");
  for (unsigned i = 0; i < pos.max_total_count() && i < 8; ++i) {
    const std::string &name = pos.name_for_position(i);
    if (options.find_nothrow(name, false) == nullptr &&
        hidden.find_nothrow(name, false) == nullptr) {
      hidden.add_options()(name.c_str(), po::value<std::string>());
    }
  }
  po::options_description all;
  all.add(options).add(hidden);
  po::variables_map vm;
  try {
    po::store(
        po::command_line_parser(args)
            .options(all)
            .positional(pos)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        vm);
    if (vm.count("help") != 0) {
      std::cout << "usage: autohost " << synopsis << "\n\n" << options << std::flush;
      exit = exit_ok;
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error &e) {
    exit = usage_error(command, e.what());
    return std::nullopt;
  }
  return vm;
}

} // namespace autohost::cli
