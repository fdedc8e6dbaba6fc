// How an error line reaches a person: JSON for scripts, a readable sentence on a terminal.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace autohost::cli {

// `--json` was given: errors stay JSON lines even when stderr is a terminal.
void force_json_errors();

// True when errors are printed as sentences: stderr is a terminal and `--json` was not
// given. Anything else (a pipe, a file, the journal) gets today's JSON line unchanged.
bool readable_errors();

// True when a readable error may be coloured: NO_COLOR is unset or empty
// (https://no-color.org) and TERM is not "dumb".
bool colour_allowed();

// The error as one sentence: "error: MESSAGE (STATUS, code CODE; FIELD: VALUE...)"; the
// status and code are left out of usage errors, whose message already says what to do.
std::string readable_error(const boost::json::object &line, bool colour);

} // namespace autohost::cli
