// Checked parsers for the CLI's numeric flags: whole numbers in a range, and seconds.
#include "cli/number_flags.hpp"

#include "errors.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace autohost::cli {

namespace {

Error bad_flag(std::string_view flag, std::string_view text, const std::string &why) {
  return host::make_error(AH_INVALID_INPUT, "usage",
                          std::string(flag) + " '" + std::string(text) + "': " + why);
}

// A number as people write it: integers print plainly, fractions with what they need.
std::string plain(double value) {
  std::string out = std::to_string(value);
  while (out.find('.') != std::string::npos && (out.back() == '0' || out.back() == '.'))
    out.pop_back();
  return out;
}

} // namespace

Result<std::uint64_t> parse_count(std::string_view text, std::string_view flag, std::uint64_t min,
                                  std::uint64_t max) {
  const std::string range =
      "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
    return bad_flag(flag, text, range);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
    return bad_flag(flag, text, range);
  return value;
}

Result<double> parse_seconds(std::string_view text, std::string_view flag, double max_s) {
  const std::string range = "must be a number of seconds more than 0 and at most " + plain(max_s);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value) || !(value > 0) || value > max_s) {
    return bad_flag(flag, text, range);
  }
  return value;
}

Result<std::optional<double>> optional_timeout(const boost::program_options::variables_map &vm) {
  if (vm.count("timeout") == 0)
    return std::optional<double>();
  AH_TRY_DECLARE(seconds,
                 parse_seconds(vm["timeout"].as<std::string>(), "--timeout", max_timeout_s));
  return std::optional<double>(seconds);
}

} // namespace autohost::cli
