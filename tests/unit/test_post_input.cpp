// The `post` input rules: what is accepted, and that every rejection names its field.
#define BOOST_TEST_MODULE post_input
#include <boost/test/unit_test.hpp>

#include "actions/post_input.hpp"

#include <boost/json.hpp>

using namespace threads::actions;
namespace json = boost::json;

namespace {

// The field an invalid input was rejected for.
std::string rejected_field(const std::string &input) {
  auto r = parse_post_input(input);
  BOOST_REQUIRE_MESSAGE(!r.has_value(), "accepted: " + input);
  BOOST_TEST(r.error().status == AH_INVALID_INPUT);
  const auto body = json::parse(r.error().body).as_object();
  BOOST_TEST(std::string(body.at("message").as_string()).find(body.at("field").as_string()) !=
             std::string::npos);
  return std::string(body.at("field").as_string());
}

PostInput accepted(const std::string &input) {
  auto r = parse_post_input(input);
  BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().body));
  return r.value();
}

} // namespace

BOOST_AUTO_TEST_CASE(counts_characters_the_threads_way) {
  BOOST_TEST(*threads_length("hello") == 5u);
  BOOST_TEST(*threads_length("h\xC3\xA9llo") == 5u);             // é is one character
  BOOST_TEST(*threads_length("\xE6\x97\xA5\xE6\x9C\xAC") == 2u); // 日本
  BOOST_TEST(*threads_length("\xF0\x9F\x98\x80") == 4u);         // 😀 counts its 4 bytes
  BOOST_TEST(*threads_length("\xE2\x9D\xA4\xEF\xB8\x8F") == 6u); // ❤️ = U+2764 U+FE0F
  BOOST_TEST(!threads_length("\xC3").has_value());               // truncated sequence
  BOOST_TEST(!threads_length("\xC0\xAF").has_value());           // overlong
  BOOST_TEST(!threads_length("\xED\xA0\x80").has_value());       // surrogate
}

BOOST_AUTO_TEST_CASE(text_limit_is_500) {
  accepted(R"({"text":")" + std::string(500, 'a') + R"("})");
  BOOST_TEST(rejected_field(R"({"text":")" + std::string(501, 'a') + R"("})") == "text");
  std::string emoji;
  for (int i = 0; i < 126; ++i)
    emoji += "\xF0\x9F\x98\x80"; // 504 by the byte rule
  BOOST_TEST(rejected_field(R"({"text":")" + emoji + R"("})") == "text");
}

BOOST_AUTO_TEST_CASE(shapes) {
  BOOST_TEST((accepted(R"({"text":"hi"})").shape() == PostShape::text));
  BOOST_TEST((accepted(R"({"media":[{"type":"image","url":"https://x.test/a.jpg"}]})").shape() ==
              PostShape::image));
  const auto carousel =
      accepted(R"({"text":"c","media":[{"type":"image","url":"https://x.test/1.jpg"},
      {"type":"video","url":"https://x.test/2.mp4","alt_text":"a clip"}]})");
  BOOST_TEST((carousel.shape() == PostShape::carousel));
  BOOST_TEST(carousel.has_video());
  BOOST_TEST(carousel.media[1].alt_text == "a clip");
}

BOOST_AUTO_TEST_CASE(links_are_counted_distinct_including_attachments) {
  BOOST_TEST(links_in("see https://a.test/x, and https://a.test/x. also http://b.test!").size() ==
             2u);
  std::string five = "https://1.test https://2.test https://3.test https://4.test https://5.test";
  accepted(R"({"text":")" + five + R"("})");
  accepted(R"({"text":")" + five + R"(","link_attachment":"https://5.test"})");
  BOOST_TEST(rejected_field(R"({"text":")" + five + R"(","link_attachment":"https://6.test"})") ==
             "text");
}

BOOST_AUTO_TEST_CASE(each_field_is_checked_by_name) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({})", "text"},
      {R"({"text":5})", "text"},
      {R"({"text":"x","colour":"red"})", "colour"},
      {R"({"media":[{"type":"gif","url":"https://x.test/a"}]})", "media[0].type"},
      {R"({"media":[{"type":"image","url":"http://x.test/a"}]})", "media[0].url"},
      {R"({"media":[{"type":"image","url":"https://x.test/a","alt_text":")" +
           std::string(1001, 'a') + R"("}]})",
       "media[0].alt_text"},
      {R"({"media":[{"type":"image","url":"https://x.test/a","size":1}]})", "media[0].size"},
      {R"({"text":"x","reply_to_id":"12ab"})", "reply_to_id"},
      {R"({"text":"x","reply_to_id":"1","quote_post_id":"2"})", "quote_post_id"},
      {R"({"text":"x","topic_tag":"a.b"})", "topic_tag"},
      {R"({"text":"x","topic_tag":")" + std::string(51, 't') + R"("})", "topic_tag"},
      {R"({"text":"x","reply_control":"nobody"})", "reply_control"},
      {R"({"text":"x","allowlisted_country_codes":["us"]})", "allowlisted_country_codes"},
      {R"({"text":"x","poll":{"options":["only one"]}})", "poll.options"},
      {R"({"text":"x","poll":{"options":["a","b","c","d","e"]}})", "poll.options"},
      {R"({"text":"x","poll":{"options":["a",""]}})", "poll.options[1]"},
      {R"({"text":"x","poll":{"options":["a",")" + std::string(26, 'o') + R"("]}})",
       "poll.options[1]"},
      {R"({"text":"x","spoilers":[{"offset":0,"length":5}]})", "spoilers[0]"},
      {R"({"text":"x","spoiler_media":true})", "spoiler_media"},
      {R"({"text":"x","text_attachment":{"text":""}})", "text_attachment.text"},
      {R"({"text":"x","text_attachment":{"text":"t"},"poll":{"options":["a","b"]}})",
       "text_attachment"},
      {R"({"media":[{"type":"image","url":"https://x.test/a"}],"link_attachment":"https://l.test"})",
       "link_attachment"},
      {R"({"media":[{"type":"image","url":"https://x.test/a"}],"poll":{"options":["a","b"]}})",
       "poll"},
      {R"({"media":[{"type":"image","url":"https://x.test/a"}],"auto_publish_text":true})",
       "auto_publish_text"},
  };
  for (const auto &[input, field] : cases)
    BOOST_TEST(rejected_field(input) == field, input);
}

BOOST_AUTO_TEST_CASE(carousel_holds_at_most_20) {
  std::string items;
  for (int i = 0; i < 21; ++i) {
    items += std::string(i ? "," : "") + R"({"type":"image","url":"https://x.test/)" +
             std::to_string(i) + R"(.jpg"})";
  }
  BOOST_TEST(rejected_field(R"({"media":[)" + items + "]}") == "media");
}

BOOST_AUTO_TEST_CASE(everything_documented_is_accepted_together) {
  const auto in =
      accepted(R"({"text":"Spoiler inside https://l.test","reply_to_id":17890000000000001,
    "link_attachment":"https://l.test","poll":{"options":["yes","no"]},"topic_tag":"cpp",
    "reply_control":"accounts_you_follow","allowlisted_country_codes":["US","DE"],
    "location_id":"123","spoilers":[{"offset":0,"length":7}],"auto_publish_text":true})");
  BOOST_TEST(in.reply_to_id == "17890000000000001");
  BOOST_TEST(in.poll_options.size() == 2u);
  BOOST_TEST(in.allowlisted_country_codes.size() == 2u);
  BOOST_TEST(in.auto_publish_text);
}

// Spoiler ranges count UTF-16 code units: an emoji outside the BMP is two, a combining
// accent one; a range may not split a surrogate pair.
BOOST_AUTO_TEST_CASE(spoiler_ranges_count_utf16_code_units) {
  const std::string text = "Spoiler: \xF0\x9F\x98\x80\xF0\x9F\x98\x80 cafe\xCC\x81"; // 19 units
  BOOST_TEST(utf16_boundaries(text).back() == 19u);
  const auto with = [&](const std::string &spoilers) {
    return R"({"text":")" + text + R"(","spoilers":)" + spoilers + "}";
  };
  const auto in = accepted(with(R"([{"offset":9,"length":4},{"offset":14,"length":5}])"));
  BOOST_REQUIRE_EQUAL(in.spoilers.size(), 2u);
  BOOST_TEST(in.spoilers[1].offset == 14);
  BOOST_TEST(rejected_field(with(R"([{"offset":10,"length":2}])")) == "spoilers[0]");
  BOOST_TEST(rejected_field(with(R"([{"offset":9,"length":1}])")) == "spoilers[0]");
  BOOST_TEST(rejected_field(with(R"([{"offset":0,"length":1},{"offset":14,"length":6}])")) ==
             "spoilers[1]");
}
