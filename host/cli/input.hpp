// Reads a command's JSON input from --input, --input-file or stdin, and checks it.
#pragma once

#include <autohost/result.hpp>

#include <boost/program_options/variables_map.hpp>

#include <string>
#include <string_view>

namespace autohost::cli {

// The input as JSON object text. Errors say which source was wrong and where the JSON
// breaks (byte offset).
Result<std::string> read_input_json(const boost::program_options::variables_map &vm,
                                    std::string_view command);

// Reads all of stdin.
std::string read_stdin();

} // namespace autohost::cli
