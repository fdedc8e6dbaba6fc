// Reads a command's JSON input from --input, --input-file or stdin, and checks it.
#include "cli/input.hpp"

#include "errors.hpp"
#include "wipe.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>

namespace autohost::cli {
namespace json = boost::json;
using host::make_error;

namespace {

Error usage(std::string message) { return make_error(AH_INVALID_INPUT, "usage", message); }

// Input may be a secret (`secrets set` reads its value here), so every buffer it passes
// through is wiped: the chunk after each read, and the old text whenever the text outgrows it.
void append_wiping(std::string &text, std::string_view more) {
  if (text.size() + more.size() > text.capacity()) {
    std::string bigger;
    bigger.reserve(std::max(text.capacity() * 2, text.size() + more.size()));
    bigger.append(text);
    host::wipe(text);
    text.swap(bigger);
  }
  text.append(more);
}

} // namespace

Result<std::string> read_capped(std::istream &in, const std::string &origin) {
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  while (in) {
    in.read(chunk.data(), chunk.size());
    const auto got = static_cast<std::size_t>(in.gcount());
    // Checked before appending, so a stream without end (/dev/zero) costs at most the cap.
    if (text.size() + got > max_input_bytes) {
      sodium_memzero(chunk.data(), chunk.size());
      host::wipe(text);
      return usage(origin + " is larger than " + std::to_string(max_input_bytes) +
                   " bytes (16 MiB), the most autohost reads");
    }
    append_wiping(text, std::string_view(chunk.data(), got));
  }
  sodium_memzero(chunk.data(), chunk.size());
  if (in.bad()) {
    host::wipe(text);
    return usage(origin + " cannot be read");
  }
  return text;
}

Result<std::string> read_stdin() { return read_capped(std::cin, "stdin"); }

Result<std::string> read_file_capped(const std::string &file, const std::string &origin) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return usage(origin + " cannot be read");
  return read_capped(in, origin);
}

namespace {

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
    AH_TRY_DECLARE(text,
                   file == "-" ? read_stdin() : read_file_capped(file, "--input-file " + file));
    return check_object(std::move(text), file == "-" ? "stdin" : "--input-file " + file);
  }
  // No prompts: a terminal on stdin means "no input", a pipe or file is read.
  if (isatty(STDIN_FILENO) != 0)
    return std::string("{}");
  AH_TRY_DECLARE(text, read_stdin());
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return std::string("{}");
  return check_object(std::move(text), "stdin");
}

} // namespace autohost::cli
