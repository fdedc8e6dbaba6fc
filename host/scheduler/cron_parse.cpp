// Parses 5-field cron expressions and the @ macros into bit sets.
#include "scheduler/cron.hpp"

#include "errors.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace autohost::scheduler {

namespace {

struct FieldRule {
  const char *name;
  int min;
  int max;
  const char *const *names; // lower-case names for min, min+1, ... or nullptr
  const char *names_hint;
};

constexpr const char *month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char *day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::array<FieldRule, 5> rules = {{
    {"minute", 0, 59, nullptr, nullptr},
    {"hour", 0, 23, nullptr, nullptr},
    {"day-of-month", 1, 31, nullptr, nullptr},
    {"month", 1, 12, month_names, "a month name (jan-dec)"},
    // 7 is accepted as Sunday and folded onto 0.
    {"day-of-week", 0, 7, day_names, "a day name (sun-sat)"},
}};

struct Macro {
  const char *name;
  const char *fields;
};
constexpr std::array<Macro, 7> macros = {{{"@yearly", "0 0 1 1 *"},
                                          {"@annually", "0 0 1 1 *"},
                                          {"@monthly", "0 0 1 * *"},
                                          {"@weekly", "0 0 * * 0"},
                                          {"@daily", "0 0 * * *"},
                                          {"@midnight", "0 0 * * *"},
                                          {"@hourly", "0 * * * *"}}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// The words of `s`, split at runs of white space.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t start = 0;
    while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start])))
      ++start;
    size_t end = start;
    while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end])))
      ++end;
    if (end > start)
      out.push_back(s.substr(start, end - start));
    s.remove_prefix(end);
  }
  return out;
}

constexpr int days_in_month_max[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

} // namespace

// Builds a CronExpression; a class so it can fill the private bit sets.
class CronParser {
public:
  explicit CronParser(std::string_view text) : text_(text) {}

  Result<CronExpression> parse() {
    std::string_view body = text_;
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) {
      body.remove_prefix(1);
    }
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) {
      body.remove_suffix(1);
    }
    CronExpression expr;
    std::string fields_text(body);
    if (!body.empty() && body.front() == '@') {
      const std::string name = lower(body);
      const Macro *found = nullptr;
      for (const auto &m : macros) {
        if (name == m.name)
          found = &m;
      }
      if (found == nullptr) {
        return fail("'" + std::string(body) +
                    "' is not a known macro; use @hourly, @daily, @weekly, @monthly or @yearly");
      }
      expr.text_ = name;
      fields_text = found->fields;
    }
    const std::vector<std::string_view> fields = words(fields_text);
    if (fields.size() != 5) {
      return fail("has " + std::to_string(fields.size()) +
                  " fields; expected 5 (minute hour day-of-month month day-of-week) or one of "
                  "@hourly @daily @weekly @monthly @yearly");
    }
    for (size_t i = 0; i < 5; ++i) {
      std::bitset<64> bits;
      AH_TRY(parse_field(rules[i], fields[i], bits));
      store(expr, i, bits, fields[i].front() == '*');
    }
    if (expr.text_.empty()) {
      for (size_t i = 0; i < 5; ++i)
        expr.text_ += (i == 0 ? "" : " ") + lower(fields[i]);
    }
    // With only the day of month restricted, a day/month pair must exist (not "30 2").
    if (!expr.days_star_ && expr.weekdays_star_) {
      bool possible = false;
      for (int m = 1; m <= 12; ++m) {
        for (int d = 1; d <= days_in_month_max[m]; ++d) {
          possible = possible ||
                     (expr.months_[static_cast<size_t>(m)] && expr.days_[static_cast<size_t>(d)]);
        }
      }
      if (!possible) {
        return fail("day-of-month field '" + std::string(fields[2]) +
                    "' never falls in month field '" + std::string(fields[3]) +
                    "' (no such date), so it would never fire");
      }
    }
    return expr;
  }

private:
  // Puts field `i`'s bits into the expression; a day-of-week 7 is Sunday, bit 0.
  static void store(CronExpression &expr, size_t i, std::bitset<64> bits, bool star) {
    switch (i) {
    case 0:
      expr.minutes_ = std::bitset<60>(bits.to_ullong());
      break;
    case 1:
      expr.hours_ = std::bitset<24>(bits.to_ullong());
      break;
    case 2:
      expr.days_ = std::bitset<32>(bits.to_ullong());
      expr.days_star_ = star;
      break;
    case 3:
      expr.months_ = std::bitset<13>(bits.to_ullong());
      break;
    default:
      if (bits[7])
        bits.set(0);
      bits.reset(7);
      expr.weekdays_ = std::bitset<7>(bits.to_ullong());
      expr.weekdays_star_ = star;
    }
  }

  Error fail(const std::string &why) const {
    return host::make_error(AH_INVALID_INPUT, "invalid_cron",
                            "cron expression '" + std::string(text_) + "': " + why);
  }
  Error field_fail(const FieldRule &rule, std::string_view field, const std::string &why) const {
    return fail(std::string(rule.name) + " field '" + std::string(field) + "': " + why);
  }

  // A number or (where the field has them) a name; `is_range_end` lets "fri-sun" mean 5-7.
  Result<int> value(const FieldRule &rule, std::string_view field, std::string_view token,
                    bool is_range_end, int range_start) const {
    if (token.empty())
      return field_fail(rule, field, "a value is missing");
    if (std::isdigit(static_cast<unsigned char>(token.front()))) {
      int v = 0;
      for (char c : token) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          return field_fail(rule, field, "'" + std::string(token) + "' is not a number");
        }
        v = v * 10 + (c - '0');
        if (v > 1000)
          break;
      }
      if (v < rule.min || v > rule.max) {
        return field_fail(rule, field,
                          std::to_string(v) + " is out of range " + std::to_string(rule.min) + "-" +
                              std::to_string(rule.max));
      }
      return v;
    }
    if (rule.names != nullptr) {
      const std::string name = lower(token);
      const int count = rule.max - rule.min + 1 - (rule.max == 7 ? 1 : 0);
      for (int i = 0; i < count; ++i) {
        if (name == rule.names[i]) {
          const int v = rule.min + i;
          return (is_range_end && v == 0 && range_start > 0) ? 7 : v;
        }
      }
      return field_fail(rule, field,
                        "'" + std::string(token) + "' is not a number or " + rule.names_hint);
    }
    return field_fail(rule, field, "'" + std::string(token) + "' is not a number");
  }

  Result<Done> parse_field(const FieldRule &rule, std::string_view field,
                           std::bitset<64> &bits) const {
    for (std::string_view item : split(field, ',')) {
      if (item.empty())
        return field_fail(rule, field, "a list has an empty item");
      int step = 1;
      std::string_view range = item;
      if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
        range = item.substr(0, slash);
        const std::string_view step_text = item.substr(slash + 1);
        if (step_text.empty() ||
            step_text.find_first_not_of("0123456789") != std::string_view::npos ||
            step_text.size() > 4) {
          return field_fail(rule, field, "the step after '/' must be a number");
        }
        step = std::stoi(std::string(step_text));
        if (step < 1)
          return field_fail(rule, field, "the step must be at least 1");
      }
      int first = rule.min;
      int last = rule.max == 7 ? 6 : rule.max; // '*' in day-of-week is 0-6
      const bool has_step = range.size() != item.size();
      if (range != "*") {
        const size_t dash = range.find('-');
        AH_TRY_DECLARE(start, value(rule, field, range.substr(0, dash), false, 0));
        first = start;
        if (dash != std::string_view::npos) {
          AH_TRY_DECLARE(end, value(rule, field, range.substr(dash + 1), true, first));
          last = end;
          if (last < first) {
            return field_fail(rule, field,
                              "the range " + std::string(range) +
                                  " goes backwards; write the smaller value first");
          }
        } else if (!has_step) {
          last = first; // a single value; "5/15" means 5 to the maximum every 15
        } else {
          last = std::max(last, first); // day-of-week "7/4": Sunday, not an empty set
        }
      }
      for (int v = first; v <= last; v += step)
        bits.set(static_cast<size_t>(v));
    }
    return Done{};
  }

  std::string_view text_;
};

Result<CronExpression> CronExpression::parse(std::string_view text) {
  return CronParser(text).parse();
}

} // namespace autohost::scheduler
