// The publish checkpoint's record: a digest of the input, not the input, and records written
// before the digest still read back so their posts resume.
#define BOOST_TEST_MODULE publish_checkpoint
#include <boost/test/unit_test.hpp>

#include "actions/publish_checkpoint.hpp"

#include <boost/json.hpp>

using namespace threads::actions;
namespace json = boost::json;

namespace {
const std::string input = R"({"text":"the launch is at nine"})";
}

BOOST_AUTO_TEST_CASE(the_record_keeps_a_sha256_of_the_input_not_the_input) {
  // The FIPS 180-2 test vector for "abc".
  BOOST_TEST(input_sha256("abc") ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  PublishCheckpoint c;
  c.input_sha256 = input_sha256(input);
  c.container_id = "17800000000000001";
  const std::string stored = to_json(c);
  BOOST_TEST(stored.find("launch") == std::string::npos, stored);
  const auto back = checkpoint_from_json(stored);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->input_sha256 == c.input_sha256);
  BOOST_TEST(back->container_id == c.container_id);
  BOOST_TEST(input_sha256(R"({"text":"another post"})") != c.input_sha256);
}

BOOST_AUTO_TEST_CASE(a_record_from_before_the_digest_resumes_as_the_same_post) {
  const std::string old_record = json::serialize(json::object{{"input_digest", input},
                                                              {"children", json::array{}},
                                                              {"container_id", "17800000000000003"},
                                                              {"publish_sent_ms", 1764000000000},
                                                              {"publish_attempts", 1}});
  const auto c = checkpoint_from_json(old_record);
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->input_sha256 == input_sha256(input));
  BOOST_TEST(c->container_id == "17800000000000003");
  BOOST_TEST(c->publish_sent_ms == 1764000000000);
  // Written back, it holds the digest only.
  BOOST_TEST(to_json(c.value()).find("input_digest") == std::string::npos);
}
