// Aligned tables that fit the terminal: sizing the columns and cutting long cells.
#include "cli/table.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <string_view>

namespace autohost::cli {

namespace {

constexpr std::string_view ellipsis = "...";
constexpr std::size_t min_cut_width = 10;

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::size_t points(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !continuation(c); }));
}

// The first `n` code points of `text`.
std::string_view first_points(std::string_view text, std::size_t n) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!continuation(text[i]) && seen++ == n)
      return text.substr(0, i);
  }
  return text;
}

// `text` in at most `width` code points, ending in "..." when cut.
std::string cut(std::string_view text, std::size_t width) {
  if (points(text) <= width)
    return std::string(text);
  if (width <= ellipsis.size())
    return std::string(first_points(text, width));
  return std::string(first_points(text, width - ellipsis.size())) + std::string(ellipsis);
}

std::string one_line(const std::string &cell) {
  std::string out = cell;
  for (char &c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F)
      c = ' ';
  }
  return out;
}

// Narrows the cuttable columns, the widest first, until the row fits `width` or none can
// shrink further.
void narrow(std::vector<std::size_t> &widths, const TableRows &rows,
            const std::vector<std::size_t> &cuttable, std::size_t width) {
  std::size_t total = 2 * (widths.size() - 1);
  for (std::size_t w : widths)
    total += w;
  auto floor_of = [&](std::size_t column) {
    const std::size_t header = column < rows.front().size() ? points(rows.front()[column]) : 0;
    return std::max(header, min_cut_width);
  };
  while (total > width) {
    std::size_t widest = widths.size();
    for (std::size_t column : cuttable) {
      if (column < widths.size() && widths[column] > floor_of(column) &&
          (widest == widths.size() || widths[column] > widths[widest])) {
        widest = column;
      }
    }
    if (widest == widths.size())
      return;
    --widths[widest];
    --total;
  }
}

} // namespace

std::size_t terminal_columns() {
  if (isatty(STDOUT_FILENO) == 0)
    return 0;
  if (const char *columns = std::getenv("COLUMNS"); columns != nullptr) {
    const std::string_view text(columns);
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size() && n >= 1 && n <= 10000)
      return n;
  }
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0)
    return size.ws_col;
  return 0;
}

std::vector<std::string> table_lines(const TableRows &rows,
                                     const std::vector<std::size_t> &cuttable, std::size_t width) {
  if (rows.empty())
    return {};
  TableRows cells;
  std::vector<std::size_t> widths;
  for (const auto &row : rows) {
    auto &line = cells.emplace_back();
    if (widths.size() < row.size())
      widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      line.push_back(one_line(row[i]));
      widths[i] = std::max(widths[i], points(line.back()));
    }
  }
  if (width != 0)
    narrow(widths, cells, cuttable, width);
  std::vector<std::string> lines;
  for (const auto &row : cells) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string cell = cut(row[i], widths[i]);
      line += cell;
      if (i + 1 < row.size())
        line += std::string(widths[i] - points(cell) + 2, ' ');
    }
    lines.push_back(width != 0 ? cut(line, width) : line);
  }
  return lines;
}

void print_table(const TableRows &rows, const std::vector<std::size_t> &cuttable) {
  for (const auto &line : table_lines(rows, cuttable, terminal_columns()))
    std::cout << line << "\n";
  std::cout << std::flush;
}

} // namespace autohost::cli
