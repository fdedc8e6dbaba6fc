// Odd answers and odd input against the sandbox: numbers JSON cannot hold, numeric ids,
// negative or absurd Retry-After hints, NUL characters in text, credentials in base URLs,
// a container error of megabytes.
// Each ends in valid JSON output or a clear error, never in a wrong value.
#define BOOST_TEST_MODULE threads_odd
#include "token_world.hpp"

using namespace token_test;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

bool has(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

struct Account : Cli {
  explicit Account(const std::string &extra = "") : Cli(extra) { import("alice", issue()); }
  std::int64_t posts() {
    return control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64();
  }
  // The profile read answered with `body` (a 200 with valid JSON).
  ProcessResult profile_answering(const std::string &body) {
    control("DELETE", "/__sandbox/faults");
    sbx::add_fault(sandbox(), json::serialize(json::object{
                                  {"group", "read"}, {"mode", "odd_answer"}, {"body", body}}));
    return invoke("profile", "{}");
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(output_is_valid_json_with_string_ids_and_plain_numbers) {
  Account c;
  auto r = c.profile_answering(
      R"({"id":17841400000000001,"username":"u","followers_count":30.0,"ratio":0.25,)"
      R"("bio":"say \"hi\" \\ \n\u0001 \u00e9","we\"ird":1})");
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  const auto out = json::parse(r.out).as_object();
  BOOST_TEST(out.at("id").as_string() == "17841400000000001"); // digits, as a string
  BOOST_TEST(out.at("followers_count").as_int64() == 30);
  BOOST_TEST(out.at("ratio").as_double() == 0.25);
  // Text that needs escaping is escaped again, in values and in names.
  BOOST_TEST(out.at("bio").as_string() == "say \"hi\" \\ \n\x01 \xc3\xa9");
  BOOST_TEST(out.at("we\"ird").as_int64() == 1);
  BOOST_TEST(!has(r.out, "E"), r.out); // 30, not 3E1; 0.25, not 2.5E-1

  // 1e400 overflows a double: as an id it cannot be given back as digits, as a value it is
  // not JSON; both are a clear error naming where it was, with nothing on stdout.
  for (const auto &[body, where] : std::vector<std::pair<std::string, std::string>>{
           {R"({"id":1e400,"username":"u"})", "at id"},
           {R"({"id":"1","stats":[{"value":-1e400}]})", "at stats[0].value"},
           {R"({"id":1.5})", "at id"}}) {
    auto bad = c.profile_answering(body);
    BOOST_TEST(bad.exit_code == 1, body << ": " << bad.err);
    BOOST_TEST(bad.out.empty(), bad.out);
    const auto e = Cli::error_of(bad);
    BOOST_TEST(e.at("code").as_string() == "bad_answer");
    BOOST_TEST(has(std::string(e.at("message").as_string()), where), e.at("message"));
  }
}

// A hint that is negative, not a number, or absurdly far away never becomes a negative or
// overflowed retry_after_s: the unusable one is ignored (the catalogue's estimate stands),
// the far one is clamped to a year.
BOOST_AUTO_TEST_CASE(a_negative_or_absurd_retry_after_is_ignored_or_clamped) {
  Account c(R"(, "max_retry_wait_s": 0)");
  const std::int64_t year = 365LL * 24 * 3600;
  for (const std::string hint :
       {"-5", "1e9", "soon", "Fri, 31 Dec 9999 23:59:59 GMT", "99999999999999999999"}) {
    control("DELETE", "/__sandbox/faults");
    sbx::add_fault(
        sandbox(),
        json::serialize(json::object{
            {"group", "read"}, {"mode", "http_429"}, {"count", 10}, {"retry_after", hint}}));
    auto read = c.invoke("profile", "{}");
    BOOST_TEST_REQUIRE(read.exit_code == 7, hint << ": " << read.err);
    const auto e = Cli::error_of(read);
    BOOST_TEST_REQUIRE(e.contains("retry_after_s"), hint);
    const std::int64_t s = e.at("retry_after_s").as_int64();
    BOOST_TEST(s > 0, hint << ": " << s);
    BOOST_TEST(s <= year, hint << ": " << s);
    if (hint.front() == 'F' || hint.front() == '9')
      BOOST_TEST(s == year, hint << ": " << s);
  }
}

BOOST_AUTO_TEST_CASE(text_with_a_nul_character_is_invalid_input_naming_the_field) {
  Account c;
  for (
      const auto &[input, field] : std::vector<std::pair<std::string, std::string>>{
          {R"({"text":"half\u0000hidden"})", "text"},
          {R"({"text":"ok","topic_tag":"tag\u0000"})", "topic_tag"},
          {R"({"text":"ok","reply_to_id":"17890000000000001","link_attachment":"https://e.example/\u0000"})",
           "link_attachment"}}) {
    auto r = c.invoke("post", input);
    BOOST_TEST(r.exit_code == 3, input << ": " << r.err);
    const auto e = Cli::error_of(r);
    BOOST_TEST(e.at("field").as_string() == field);
    BOOST_TEST(has(std::string(e.at("message").as_string()), "NUL character"), e.at("message"));
  }
  BOOST_TEST(c.posts() == 0);
  BOOST_TEST(sandbox_stat("create") == 0); // refused before anything was sent
}

BOOST_AUTO_TEST_CASE(info_never_shows_credentials_of_a_base_url) {
  Account c;
  const std::string base = sandbox().base_url; // https://127.0.0.1:PORT
  const std::string with_credentials = "https://robot:hunter2-pw@" + base.substr(8);
  std::ofstream(c.home / "config.json")
      << R"({"plugins": {"threads": {"graph_base_url": ")" << with_credentials
      << R"(", "oauth_base_url": ")" << with_credentials << R"(", "ca_file": ")"
      << sandbox().ca_file << R"("}}})";
  auto r = c.invoke("info", "{}");
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  BOOST_TEST(!has(r.out + r.err, "hunter2"), r.out);
  BOOST_TEST(!has(r.out + r.err, "robot"), r.out);
  const auto config = json::parse(r.out).at("config").as_object();
  BOOST_TEST(config.at("graph_base_url").as_string() == base);
  BOOST_TEST(config.at("oauth_base_url").as_string() == base);
}

// A carousel item whose processing failed with 100 KB of error text: the error body keeps
// the advice and names the whole size, instead of being one cut string (or 200 KB).
BOOST_AUTO_TEST_CASE(a_huge_container_error_is_cut_in_the_error_body) {
  Account c;
  const std::string huge(100000, 'E');
  sbx::add_fault(sandbox(),
                 json::serialize(json::object{
                     {"group", "create"}, {"mode", "container_error"}, {"error_message", huge}}));
  auto r = c.invoke("post", R"({"media":[{"type":"image","url":"https://cdn.example/a.jpg"},
                                          {"type":"image","url":"https://cdn.example/b.jpg"}]})");
  BOOST_TEST_REQUIRE(r.exit_code == 3, r.err.substr(0, 2000));
  BOOST_TEST(r.err.size() < 6000);
  const auto e = Cli::error_of(r);
  BOOST_TEST(e.at("field").as_string() == "media[0]");
  const std::string cut = std::string(1024, 'E') + " ... [cut, 100000 bytes]";
  BOOST_TEST(e.at("error_message").as_string() == cut);
  const std::string message(e.at("message").as_string());
  BOOST_TEST(has(message, "(" + cut + "): "), message.substr(0, 200));
  BOOST_TEST(!has(message, "bytes] ... [cut"), message.substr(message.size() - 100));
  BOOST_TEST(c.posts() == 0);
}
