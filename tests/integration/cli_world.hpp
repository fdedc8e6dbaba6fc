// A private autohost world for CLI tests: runs the real binary with a temp HOME and state
// dir (nothing from the developer's setup leaks in) and reads its JSON error line.
#pragma once

#include "process.hpp"
#include "temp_dir.hpp"
#include "text_match.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace autohost::test {

struct CliWorld {
  TempDir home;

  // With `interrupt_when`, the child gets SIGINT once that returns true (asked every 20 ms).
  ProcessResult run(std::vector<std::string> args, std::string stdin_text = {},
                    std::map<std::string, std::optional<std::string>> extra_env = {},
                    std::function<bool()> interrupt_when = {}) {
    ProcessOptions o;
    o.stdin_text = std::move(stdin_text);
    o.signal_when = std::move(interrupt_when);
    o.signal_number = SIGINT;
    o.env = private_autohost_env(home.path(), home / "state");
    for (auto &[k, v] : extra_env)
      o.env[k] = v;
    return run_process(required_env("AUTOHOST_BIN"), args, o);
  }

  // The single JSON error line a failing command writes last on stderr.
  static boost::json::object error_of(const ProcessResult &r) {
    std::string last = r.err;
    while (!last.empty() && last.back() == '\n')
      last.pop_back();
    last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(last, ec);
    BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "stderr is not a JSON error line: " + r.err);
    return v.as_object();
  }
  static std::string message_of(const ProcessResult &r) {
    return std::string(error_of(r).at("message").as_string());
  }
};

} // namespace autohost::test
