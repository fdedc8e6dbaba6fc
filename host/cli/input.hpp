// Reads a command's JSON input from --input, --input-file or stdin, and checks it.
#pragma once

#include <autohost/result.hpp>

#include <boost/program_options/variables_map.hpp>

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

namespace autohost::cli {

// The input as JSON object text. Errors say which source was wrong and where the JSON
// breaks (byte offset).
Result<std::string> read_input_json(const boost::program_options::variables_map &vm,
                                    std::string_view command);

// The most any input (stdin, --input-file, a calendar, a secret) may hold: 16 MiB.
constexpr std::size_t max_input_bytes = std::size_t{16} << 20;

// Reads all of `in`, at most max_input_bytes; more is an error naming `origin` and the cap
// (a stream without end, `cat /dev/zero | autohost ...`, costs 16 MiB, not all memory).
Result<std::string> read_capped(std::istream &in, const std::string &origin);
// read_capped of stdin.
Result<std::string> read_stdin();
// read_capped of a file; a file that cannot be opened is an error naming `origin`.
Result<std::string> read_file_capped(const std::string &file, const std::string &origin);

} // namespace autohost::cli
