// Reading names out of a host's secret_list answer (auth::listed_names): the names under the
// prefix, nested keys left out when asked, keys arriving in parts (escapes), members the
// reader does not need skipped at any depth, the last of equal keys taken, and an answer of any
// other shape refused with an error that names the secret list.
#define BOOST_TEST_MODULE secret_listing
#include <boost/test/unit_test.hpp>

#include "auth/secret_listing.hpp"

#include <boost/json.hpp>

#include <string>
#include <vector>

using threads::auth::listed_names;
using Names = std::vector<std::string>;

namespace {

constexpr std::string_view prefix = "threads/accounts/";

Names names_of(std::string_view listing, bool direct_only = true) {
  auto listed = listed_names(listing, prefix, direct_only);
  BOOST_TEST_REQUIRE(listed.has_value(), listing);
  return listed.value();
}

std::string refusal(std::string_view listing) {
  auto listed = listed_names(listing, prefix, true);
  BOOST_TEST_REQUIRE(!listed.has_value(), listing);
  BOOST_TEST(listed.error().status == AH_INTERNAL);
  return listed.error().body;
}

} // namespace

BOOST_AUTO_TEST_CASE(names_under_the_prefix_in_listing_order) {
  BOOST_TEST(names_of(R"([{"key":"threads/accounts/b","version":3},)"
                      R"({"key":"threads/accounts/a","version":1}])") == (Names{"b", "a"}),
             boost::test_tools::per_element());
  BOOST_TEST(names_of("[]").empty());
  BOOST_TEST(names_of(" [ ] ").empty());
}

BOOST_AUTO_TEST_CASE(nested_keys_are_left_out_only_when_asked) {
  const std::string listing = R"([{"key":"threads/accounts/a","version":1},)"
                              R"({"key":"threads/accounts/a/tmp","version":1},)"
                              R"({"key":"threads/accounts/c","version":1}])";
  BOOST_TEST(names_of(listing, true) == (Names{"a", "c"}), boost::test_tools::per_element());
  BOOST_TEST(names_of(listing, false) == (Names{"a", "a/tmp", "c"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(keys_outside_the_prefix_are_skipped) {
  BOOST_TEST(names_of(R"([{"key":"threads/apps/x","version":1},)"
                      R"({"key":"threads/accounts/y","version":1}])") == (Names{"y"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(escaped_keys_arrive_whole) {
  // An escape splits the string into parts on its way through the parser.
  BOOST_TEST(names_of(R"([{"key":"threads\/accounts\/\u00e9t\u00e9 \"q\"","version":1}])") ==
                 (Names{"\xc3\xa9t\xc3\xa9 \"q\""}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(other_members_are_skipped_at_any_depth) {
  // A "key" inside a member's value is not the entry's key.
  BOOST_TEST(names_of(R"([{"version":2,"meta":{"key":"threads/accounts/no",)"
                      R"("list":[1,{"key":"threads/accounts/nor"},null,true,2.5]},)"
                      R"("key":"threads/accounts/yes","updated_ms":-1}])") == (Names{"yes"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_last_of_equal_keys_counts_as_in_the_document) {
  BOOST_TEST(names_of(R"([{"key":"threads/accounts/a","key":"threads/accounts/b"}])") ==
                 (Names{"b"}),
             boost::test_tools::per_element());
  BOOST_TEST(names_of(R"([{"key":{"key":"threads/accounts/x"},"key":"threads/accounts/c"}])") ==
                 (Names{"c"}),
             boost::test_tools::per_element());
  refusal(R"([{"key":"threads/accounts/a","key":1}])");
  refusal(R"([{"key":"threads/accounts/a","key":[]}])");
}

BOOST_AUTO_TEST_CASE(a_large_listing_reads_like_the_document) {
  boost::json::array entries;
  for (int i = 0; i < 100'000; ++i) {
    entries.push_back(
        boost::json::object{{"key", "threads/accounts/a" + std::to_string(i)}, {"version", i + 1}});
  }
  const Names names = names_of(boost::json::serialize(entries));
  BOOST_TEST_REQUIRE(names.size() == 100'000U);
  BOOST_TEST(names.front() == "a0");
  BOOST_TEST(names[54'321] == "a54321");
  BOOST_TEST(names.back() == "a99999");
}

BOOST_AUTO_TEST_CASE(other_shapes_are_refused_with_a_clear_error) {
  for (const std::string_view bad : {
           R"({"key":"threads/accounts/a"})",      // not an array
           R"(["threads/accounts/a"])",            // an entry that is not an object
           R"([[{"key":"threads/accounts/a"}]])",  // nor an array
           R"([{"version":1}])",                   // an entry without its key
           R"([{"key":7,"version":1}])",           // a key that is not a string
           R"([{"key":"threads/accounts/a"})",     // cut short
           R"([{"key":"threads/accounts/a"}] [])", // more after the answer
           "",
           "null",
       }) {
    const std::string message = refusal(bad);
    BOOST_TEST(message.find("secret list") != std::string::npos, message);
  }
}
