// Reads a command's JSON input from --input, --input-file or stdin, and checks it.
#include "cli/input.hpp"

#include "errors.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace autohost::cli {
namespace json = boost::json;
using host::make_error;

std::string read_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

namespace {

Error usage(std::string message) { return make_error(AH_INVALID_INPUT, "usage", message); }

Result<std::string> check_object(std::string text, const std::string &origin) {
  json::parser parser;
  boost::system::error_code ec;
  const size_t used = parser.write(text.data(), text.size(), ec);
  if (ec) {
    return usage(origin + " is not valid JSON: " + ec.message() + " at byte " +
                 std::to_string(used));
  }
  if (!parser.release().is_object())
    return usage(origin + " must be a JSON object");
  return text;
}

} // namespace

Result<std::string> read_input_json(const boost::program_options::variables_map &vm,
                                    std::string_view) {
  const bool has_input = vm.count("input") != 0;
  const bool has_file = vm.count("input-file") != 0;
  if (has_input && has_file)
    return usage("--input and --input-file cannot be used together");
  if (has_input)
    return check_object(vm["input"].as<std::string>(), "--input");
  if (has_file) {
    const auto file = vm["input-file"].as<std::string>();
    if (file == "-")
      return check_object(read_stdin(), "stdin");
    std::ifstream in(file);
    if (!in)
      return usage("--input-file " + file + " cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    return check_object(text.str(), "--input-file " + file);
  }
  // No prompts: a terminal on stdin means "no input", a pipe or file is read.
  if (isatty(STDIN_FILENO) != 0)
    return std::string("{}");
  std::string text = read_stdin();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return std::string("{}");
  return check_object(std::move(text), "stdin");
}

} // namespace autohost::cli
