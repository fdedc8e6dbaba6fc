// autohost as operators run it: log priorities for journald, help and man pages agreeing
// with the binary, shell completion. Real processes, a private HOME and store.
#define BOOST_TEST_MODULE operating
#include <boost/test/unit_test.hpp>

#include "cli_world.hpp"

#include <sstream>

using namespace autohost::test;

namespace {

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

struct Operating : CliWorld {
  // Runs autohost with JOURNAL_STREAM set to the device and inode of its own stderr, as
  // systemd does for a unit that logs to the journal.
  ProcessResult run_on_journal(const std::vector<std::string> &args) {
    ProcessOptions o;
    o.env = private_autohost_env(home.path(), home / "state");
    o.stderr_identity_var = "JOURNAL_STREAM";
    return run_process(required_env("AUTOHOST_BIN"), args, o);
  }
};

// "<6>{...}" -> "<6>"; "" when the line has no priority prefix.
std::string prefix_of(const std::string &line) {
  if (line.size() < 4 || line[0] != '<' || line[2] != '>')
    return "";
  return line.substr(0, 3);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(on_the_journal_each_line_carries_its_priority, Operating) {
  // No plugins: the daemon warns about that; at info it also says it started.
  auto r = run_on_journal({"--log-level", "info", "run", "--once"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  int info = 0, warn = 0;
  for (const auto &line : lines_of(r.err)) {
    const std::string prefix = prefix_of(line);
    BOOST_TEST_REQUIRE(!prefix.empty(), "no priority prefix: " + line);
    BOOST_TEST(line.substr(3, 1) == "{", line); // the JSON line follows at once
    if (contains(line, R"("level":"info")")) {
      BOOST_TEST(prefix == "<6>", line);
      ++info;
    }
    if (contains(line, R"("level":"warn")")) {
      BOOST_TEST(prefix == "<4>", line);
      ++warn;
    }
  }
  BOOST_TEST(info > 0, r.err);
  BOOST_TEST(warn > 0, r.err);

  // An error line (here a usage error) is at the error priority.
  auto bad = run_on_journal({"run", "--once", "--workers", "0"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(prefix_of(bad.err) == "<3>", bad.err);
}

BOOST_FIXTURE_TEST_CASE(off_the_journal_lines_are_plain_json, Operating) {
  // Without JOURNAL_STREAM, and with one that names another file (a child of a unit whose
  // stderr was redirected inherits the variable), no line has a prefix.
  for (const std::string stream : {"", "1:2"}) {
    std::map<std::string, std::optional<std::string>> env;
    if (!stream.empty())
      env["JOURNAL_STREAM"] = stream;
    auto r = run({"--log-level", "info", "run", "--once"}, {}, env);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    const auto lines = lines_of(r.err);
    BOOST_TEST(!lines.empty());
    for (const auto &line : lines)
      BOOST_TEST(line.substr(0, 1) == "{", line);
    auto bad = run({"run", "--once", "--workers", "0"}, {}, env);
    BOOST_TEST(bad.exit_code == 2);
    BOOST_TEST(bad.err.substr(0, 1) == "{", bad.err);
  }
}

BOOST_FIXTURE_TEST_CASE(help_command_and_command_help_are_one_text, Operating) {
  const auto listed = run({"help", "--commands"});
  BOOST_TEST_REQUIRE(listed.exit_code == 0, listed.err);
  const auto commands = lines_of(listed.out);
  BOOST_TEST_REQUIRE(commands.size() >= 10u, listed.out);
  for (const auto &line : commands) {
    const std::string name = line.substr(0, line.find('\t'));
    BOOST_TEST(line.size() > name.size() + 1, "no summary: " + line);
    const auto help = run({"help", name});
    const auto flag = run({name, "--help"});
    BOOST_TEST(help.exit_code == 0, name + ": " + help.err);
    BOOST_TEST(flag.exit_code == 0, name + ": " + flag.err);
    BOOST_TEST(contains(help.out, "usage: autohost " + name), help.out);
    BOOST_TEST(help.out == flag.out, name);
    // Help reads no settings: a config file that cannot be read does not stop it.
    const auto broken = run({"--config", (home / "missing.json").string(), "help", name});
    BOOST_TEST(broken.exit_code == 0, name + ": " + broken.err);
    BOOST_TEST(broken.out == help.out, name);
  }
  // A subcommand's help, both ways.
  const auto add = run({"help", "schedule", "add"});
  BOOST_TEST(add.exit_code == 0, add.err);
  BOOST_TEST(contains(add.out, "usage: autohost schedule add"), add.out);
  BOOST_TEST(add.out == run({"schedule", "add", "--help"}).out);

  // Bare `help` is the overview `--help` prints, and names `help COMMAND`.
  const auto overview = run({"help"});
  BOOST_TEST(overview.exit_code == 0);
  BOOST_TEST(overview.out == run({"--help"}).out);
  BOOST_TEST(contains(overview.out, "autohost help COMMAND"), overview.out);

  const auto unknown = run({"help", "invok"});
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(contains(message_of(unknown), "unknown command 'invok'"), unknown.err);
}
