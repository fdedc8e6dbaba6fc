// `autohost secrets set|get|list|rm`: the secret store from the command line.
#include "cli/command.hpp"
#include "cli/did_you_mean.hpp"

#include "cli/input.hpp"
#include "cli/number_flags.hpp"
#include "errors.hpp"
#include "wipe.hpp"

#include <boost/json.hpp>

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace autohost::cli {
namespace json = boost::json;
using host::make_error;

namespace {

constexpr std::string_view secrets_synopsis =
    "secrets set KEY [--expect-version N]   (value from stdin)\n"
    "       autohost secrets get KEY [--reveal]\n"
    "       autohost secrets list [PREFIX] [--json]\n"
    "       autohost secrets rm KEY [--expect-version N]";

std::string iso_time(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Reads the value without echoing it when stdin is a terminal.
Result<std::string> read_secret_value() {
  const bool tty = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << "value (end with Enter, not shown): " << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << std::endl;
    return line;
  }
  AH_TRY_DECLARE(value, read_stdin());
  // One trailing newline is the shell's, not the secret's (`echo x | autohost secrets set`).
  if (!value.empty() && value.back() == '\n')
    value.pop_back();
  if (!value.empty() && value.back() == '\r')
    value.pop_back();
  return value;
}

// --expect-version N, or "any version" without it; N is never negative or wrapped into
// AH_VERSION_ANY, which would skip the compare-and-set.
Result<std::uint64_t> expected_version(const po::variables_map &vm) {
  if (vm.count("expect-version") == 0)
    return std::uint64_t{AH_VERSION_ANY};
  return parse_count(vm["expect-version"].as<std::string>(), "--expect-version", 0,
                     AH_VERSION_ANY - 1);
}

int conflict(const std::string &key, std::uint64_t expected, std::uint64_t current) {
  return report_error(make_error(AH_CONFLICT, "conflict",
                                 "secret '" + key + "' is at version " + std::to_string(current) +
                                     ", not the expected " + std::to_string(expected)));
}

int secrets_set(store::SecretStore &secrets, const std::string &key, std::uint64_t expected) {
  auto read = read_secret_value();
  if (!read)
    return usage_error("secrets", host::error_message(read.error()));
  std::string &value = read.value();
  const host::WipeOnExit wiped(value);
  if (value.empty())
    return usage_error("secrets", "the value read from stdin is empty");
  auto put = secrets.put(key, value, expected);
  if (!put)
    return report_error(put.error());
  if (put.value().outcome == store::WriteOutcome::conflict)
    return conflict(key, expected, put.value().version);
  return print_json(json::object{{"key", key}, {"version", put.value().version}});
}

int secrets_get(store::SecretStore &secrets, const std::string &key, bool reveal) {
  auto got = secrets.get(key);
  if (!got)
    return report_error(got.error());
  if (!got.value()) {
    return report_error(
        make_error(AH_NOT_FOUND, "not_found", "secret '" + key + "' does not exist"));
  }
  const host::WipeOnExit wiped(got.value()->value);
  if (reveal) {
    std::cout << got.value()->value << std::endl;
    return exit_ok;
  }
  return print_json(json::object{{"key", key},
                                 {"version", got.value()->version},
                                 {"updated", iso_time(got.value()->updated_ms)},
                                 {"bytes", got.value()->value.size()}});
}

int secrets_list(store::SecretStore &secrets, const std::string &prefix, bool as_json) {
  auto listed = secrets.list(prefix);
  if (!listed)
    return report_error(listed.error());
  if (as_json) {
    json::array out;
    for (const auto &info : listed.value()) {
      out.push_back(json::object{
          {"key", info.key}, {"version", info.version}, {"updated", iso_time(info.updated_ms)}});
    }
    return print_json(out);
  }
  std::printf("%-48s %-8s %s\n", "KEY", "VERSION", "UPDATED");
  for (const auto &info : listed.value()) {
    std::printf("%-48s %-8llu %s\n", info.key.c_str(),
                static_cast<unsigned long long>(info.version), iso_time(info.updated_ms).c_str());
  }
  std::fflush(stdout);
  return exit_ok;
}

int secrets_rm(store::SecretStore &secrets, const std::string &key, std::uint64_t expected) {
  auto removed = secrets.remove(key, expected);
  if (!removed)
    return report_error(removed.error());
  if (removed.value().outcome == store::WriteOutcome::conflict)
    return conflict(key, expected, removed.value().version);
  return print_json(json::object{{"key", key}, {"removed", true}});
}

} // namespace

int run_secrets(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("expect-version", po::value<std::string>(),
                        "set/rm only if the stored version is N (0: must not exist)")(
      "reveal", "get: print the value itself")("json", "list: print a JSON array");
  po::positional_options_description pos;
  pos.add("subcommand", 1).add("key", 1);
  int exit = exit_ok;
  auto vm = parse_command_args("secrets", secrets_synopsis, args, options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("subcommand") == 0)
    return usage_error("secrets", "missing set, get, list or rm");
  const auto sub = (*vm)["subcommand"].as<std::string>();
  const std::string key = vm->count("key") != 0 ? (*vm)["key"].as<std::string>() : "";
  if (sub != "set" && sub != "get" && sub != "list" && sub != "rm") {
    return usage_error("secrets", "unknown subcommand '" + sub + "'" +
                                      did_you_mean(sub, {"set", "get", "list", "rm"}));
  }
  if (sub != "list" && key.empty())
    return usage_error("secrets", "secrets " + sub + " needs a KEY");
  if (sub == "set" || sub == "get" || sub == "rm") {
    if (auto valid = store::validate_key(key); !valid) {
      return usage_error("secrets", host::error_message(valid.error()));
    }
  }

  auto expected = expected_version(*vm);
  if (!expected)
    return usage_error("secrets", host::error_message(expected.error()));

  auto store = ctx.store();
  if (!store)
    return report_error(store.error(), exit_store);

  if (sub == "set")
    return secrets_set(*store.value(), key, expected.value());
  if (sub == "get")
    return secrets_get(*store.value(), key, vm->count("reveal") != 0);
  if (sub == "list")
    return secrets_list(*store.value(), key, vm->count("json") != 0);
  return secrets_rm(*store.value(), key, expected.value());
}

} // namespace autohost::cli
