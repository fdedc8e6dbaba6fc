// autohost as operators run it: log priorities for journald. Real processes, a private
// HOME and store.
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
