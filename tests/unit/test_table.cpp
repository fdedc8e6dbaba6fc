// Tables fitted to a width (cli/table.hpp) and the permalink read from a run's output
// (scheduler/run_link.hpp): what `status`, `runs` and `schedule list` print on a terminal.
#define BOOST_TEST_MODULE table
#include <boost/test/unit_test.hpp>

#include "cli/table.hpp"
#include "scheduler/run_link.hpp"

#include <string>
#include <vector>

using autohost::cli::table_lines;
using autohost::cli::TableRows;
using autohost::scheduler::permalink_of;

namespace {

std::size_t points(const std::string &s) {
  std::size_t n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

const TableRows runs = {
    {"RUN", "STATUS", "DETAIL"},
    {"daily@20261204T0800", "failed", "the account's token expired; re-authorise"},
    {"once@20261205T1000", "succeeded", "https://threads.net/@a/post/X"}};

} // namespace

BOOST_AUTO_TEST_CASE(without_a_width_nothing_is_cut_and_columns_align) {
  const auto lines = table_lines(runs, {2}, 0);
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  BOOST_TEST(lines[0] == "RUN                  STATUS     DETAIL");
  BOOST_TEST(lines[1] ==
             "daily@20261204T0800  failed     the account's token expired; re-authorise");
  BOOST_TEST(lines[2] == "once@20261205T1000   succeeded  https://threads.net/@a/post/X");
}

BOOST_AUTO_TEST_CASE(a_cuttable_column_is_narrowed_and_the_others_kept_whole) {
  const auto lines = table_lines(runs, {2}, 50);
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  for (const auto &line : lines)
    BOOST_TEST(points(line) <= 50u, line);
  BOOST_TEST(lines[1] == "daily@20261204T0800  failed     the account's t...");
  BOOST_TEST(lines[2] == "once@20261205T1000   succeeded  https://threads...");
}

BOOST_AUTO_TEST_CASE(the_widest_cuttable_column_gives_way_first) {
  const TableRows rows = {{"A", "B", "C"}, {"x", std::string(30, 'b'), std::string(20, 'c')}};
  const auto lines = table_lines(rows, {1, 2}, 44); // 1 + 2 + 19 + 2 + 20
  BOOST_TEST(lines[1] == "x  " + std::string(16, 'b') + "...  " + std::string(20, 'c'));
}

BOOST_AUTO_TEST_CASE(no_column_is_cut_below_ten_and_a_line_still_too_wide_is_cut) {
  const auto lines = table_lines(runs, {2}, 30);
  for (const auto &line : lines)
    BOOST_TEST(points(line) <= 30u, line);
  // DETAIL stopped at 10; the line is then cut at the width, never wrapped.
  BOOST_TEST(lines[1] == "daily@20261204T0800  failed...");
}

BOOST_AUTO_TEST_CASE(control_characters_become_spaces_so_a_row_is_one_line) {
  const TableRows rows = {{"WHAT"}, {"line one\nline two\t\x1b[31mred"}};
  const auto lines = table_lines(rows, {}, 0);
  BOOST_TEST(lines[1] == "line one line two  [31mred");
}

BOOST_AUTO_TEST_CASE(widths_count_code_points_not_bytes) {
  const TableRows rows = {
      {"WHAT", "N"}, {"caf\xc3\xa9 \xc3\xa9t\xc3\xa9 d\xc3\xa9j\xc3\xa0 vu", "1"}, {"plain", "2"}};
  const auto whole = table_lines(rows, {0}, 0);
  BOOST_TEST(whole[2] == "plain             2"); // "café été déjà vu" is 16 points
  const auto cut = table_lines(rows, {0}, 15);
  BOOST_TEST(cut[1] == "caf\xc3\xa9 \xc3\xa9t\xc3\xa9 ...  1");
}

BOOST_AUTO_TEST_CASE(the_permalink_is_an_http_url_from_the_output_or_nothing) {
  BOOST_TEST(permalink_of(R"({"id":"1","permalink":"https://www.threads.net/@a/post/X"})") ==
             "https://www.threads.net/@a/post/X");
  BOOST_TEST(permalink_of("") == "");
  BOOST_TEST(permalink_of(R"({"id":"1","permalink":""})") == ""); // published, link unknown
  BOOST_TEST(permalink_of(R"({"id":"1"})") == "");
  BOOST_TEST(permalink_of(R"(["https://x"])") == "");
  BOOST_TEST(permalink_of("not json") == "");
  BOOST_TEST(permalink_of(R"({"permalink":42})") == "");
  BOOST_TEST(permalink_of(R"j({"permalink":"javascript:alert(1)"})j") == "");
  BOOST_TEST(permalink_of(R"({"permalink":"https://a b"})") == "");
  BOOST_TEST(permalink_of(R"({"permalink":"https://a\u001b[2J"})") == "");
  BOOST_TEST(permalink_of(R"({"permalink":"https://)" + std::string(2100, 'a') + "\"}") == "");
}
