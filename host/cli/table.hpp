// Tables as aligned columns, cut to the terminal's width when stdout is one.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace autohost::cli {

using TableRows = std::vector<std::vector<std::string>>;

// The width tables must fit: 0 (no limit) when stdout is not a terminal, so piped output
// is never cut; else COLUMNS when it is a number from 1 to 10000, else the terminal's
// own width (TIOCGWINSZ), else 0.
std::size_t terminal_columns();

// The rows (the first is the header) as lines of aligned columns. Control characters in a
// cell (a post's newlines, escapes) become spaces, so a row is one line. With a `width`,
// the columns in `cuttable` (long text: details, inputs, errors) are narrowed, the widest
// first and none below its header or 10 characters, and their cells cut with "..."; a line
// still wider (a very narrow terminal) is cut at the width. Widths count code points.
std::vector<std::string> table_lines(const TableRows &rows,
                                     const std::vector<std::size_t> &cuttable, std::size_t width);

// table_lines() on stdout, fitted to terminal_columns().
void print_table(const TableRows &rows, const std::vector<std::size_t> &cuttable = {});

} // namespace autohost::cli
