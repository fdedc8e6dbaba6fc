// `autohost store copy FROM TO` (moving a whole store between SQLite and PostgreSQL) and
// `autohost store backup FILE` (a consistent copy of the SQLite store while daemons run).
#include "cli/command.hpp"
#include "cli/did_you_mean.hpp"

#include "errors.hpp"
#include "scheduler/store_copy.hpp"
#include "store/sql/backend.hpp"
#include "store/store_backup.hpp"

#include <boost/json.hpp>

#include <iostream>

namespace autohost::cli {
namespace json = boost::json;

namespace {

constexpr std::string_view copy_synopsis =
    "store copy FROM TO [--json]\n\n"
    "Copies a whole store - secrets (tokens and publish checkpoints included) with their\n"
    "versions and deletions, schedules, runs and the schedules' generation - from FROM to TO.\n"
    "Each is a path (SQLite) or a postgresql:// URL. TO must be empty or not exist yet (an\n"
    "SQLite file or the tables in a PostgreSQL database are created). Both must belong to the\n"
    "master key autohost uses (AUTOHOST_MASTER_KEY, AUTOHOST_MASTER_KEY_FILE, master_key_file,\n"
    "else master.key beside --store): values are copied sealed, never decrypted.\n"
    "FROM is read in one snapshot, TO written in one transaction: all or nothing. Stop the\n"
    "daemons of FROM first; a run still running in FROM is copied with its lease ended, so a\n"
    "daemon on TO takes it over as after a crash.\n"
    "Exit codes: 0 copied; 2 bad arguments or FROM and TO are one store; 8 TO is not\n"
    "empty; 11 a store cannot be reached or opened, or its master key is another";

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

int print_report(const scheduler::CopyReport &r, bool as_json) {
  if (as_json) {
    std::cout << json::serialize(json::object{{"from", r.from},
                                              {"to", r.to},
                                              {"secrets", r.secrets},
                                              {"deleted_secrets", r.tombstones},
                                              {"schedules", r.schedules},
                                              {"runs", r.runs},
                                              {"leases_ended", r.leases_ended},
                                              {"generation", r.generation}})
              << std::endl;
    return exit_ok;
  }
  std::cout << "copied " << plural(r.secrets, "secret", "secrets") << " (and "
            << plural(r.tombstones, "deleted one", "deleted ones") << "), "
            << plural(r.schedules, "schedule", "schedules") << " and "
            << plural(r.runs, "run", "runs") << "\n  from " << r.from << "\n  to   " << r.to
            << "\n";
  if (r.leases_ended > 0) {
    std::cout << plural(r.leases_ended, "run was", "runs were")
              << " running in the source: a daemon on the target takes "
              << (r.leases_ended == 1 ? "it" : "them") << " over\n";
  }
  std::cout << std::flush;
  return exit_ok;
}

// `args` starts with "copy".
int copy(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  options.add_options()("json", "print what was copied as a JSON object");
  po::positional_options_description pos;
  pos.add("subcommand", 1).add("from", 1).add("to", 1);
  int exit = exit_ok;
  auto vm = parse_command_args("store", copy_synopsis, args, options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("from") == 0 || vm->count("to") == 0)
    return usage_error("store", "store copy needs FROM and TO");
  scheduler::CopyRequest request;
  request.from = (*vm)["from"].as<std::string>();
  request.to = (*vm)["to"].as<std::string>();
  request.key = ctx.settings().master_key;
  for (const auto &[location, name] : {std::pair{&request.from, "FROM"}, {&request.to, "TO"}}) {
    if (auto valid = store::sql::check_location(*location, name); !valid)
      return usage_error("store", host::error_message(valid.error()));
  }
  auto copied = scheduler::copy_store(request);
  if (!copied) {
    if (host::error_code(copied.error()) == "same_store")
      return report_error(copied.error(), exit_usage);
    return report_error(copied.error());
  }
  return print_report(*copied, vm->count("json") != 0);
}

constexpr std::string_view store_overview =
    "usage: autohost store SUBCOMMAND ...\n\n"
    "subcommands:\n"
    "  copy FROM TO [--json]  copy a whole store between SQLite and PostgreSQL\n"
    "  backup FILE       copy the SQLite store (secrets, schedules, runs) to the new FILE\n\n"
    "`autohost store SUBCOMMAND --help` describes a subcommand.\n";

constexpr std::string_view backup_synopsis =
    "store backup FILE\n\n"
    "Copies the SQLite store to FILE (created 0600; an existing FILE is refused) with\n"
    "SQLite's online backup API: one consistent state even while daemons write. The copy\n"
    "is sealed with the same master key and does not contain it: keep the key (the\n"
    "master.key file or AUTOHOST_MASTER_KEY) with the backup. To restore, stop the daemons\n"
    "and copy FILE over the store file (or point --store at it). A postgresql:// store is\n"
    "backed up with pg_dump, or copied into an SQLite file with `autohost store copy`.";

int backup(Context &ctx, const std::vector<std::string> &args) {
  po::options_description options("options");
  po::positional_options_description pos;
  pos.add("file", 1);
  int exit = exit_ok;
  auto vm = parse_command_args("store", backup_synopsis, args, options, pos, exit);
  if (!vm)
    return exit;
  if (vm->count("file") == 0)
    return usage_error("store", "store backup needs a FILE to write");
  const std::string location = ctx.settings().store_file.string();
  if (store::sql::is_postgres_location(location)) {
    return usage_error("store", "the store is a PostgreSQL database: back it up with pg_dump "
                                "(e.g. pg_dump -Fc -f FILE DBNAME), or copy it into an SQLite "
                                "file with `autohost store copy URL FILE`; `store backup` copies "
                                "SQLite stores");
  }
  // Opening it first checks that it is an autohost store and that the key opens it.
  auto secrets = ctx.store();
  if (!secrets)
    return report_error(secrets.error(), exit_store);
  const std::string file = (*vm)["file"].as<std::string>();
  auto copied = store::backup_sqlite_store(location, file);
  if (!copied) {
    return report_error(copied.error(),
                        copied.error().status == AH_INVALID_INPUT ? exit_usage : exit_store);
  }
  std::cout << json::serialize(json::object{{"store", location},
                                            {"backup", file},
                                            {"bytes", copied.value()},
                                            {"master_key_included", false}})
            << std::endl;
  return exit_ok;
}

} // namespace

int run_store(Context &ctx, const std::vector<std::string> &args) {
  if (args.empty())
    return usage_error("store", "missing the subcommand: copy or backup");
  if (args.front() == "--help" || args.front() == "-h") {
    std::cout << store_overview << std::flush;
    return exit_ok;
  }
  if (args.front() == "copy")
    return copy(ctx, args);
  if (args.front() == "backup")
    return backup(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
  return usage_error("store", "unknown subcommand '" + args.front() + "' (copy or backup)" +
                                  did_you_mean(args.front(), {"copy", "backup"}));
}

} // namespace autohost::cli
