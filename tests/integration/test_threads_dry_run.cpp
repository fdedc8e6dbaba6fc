// threads.post with "dry_run": true against the sandbox: the same checks and errors as a real
// post, and nothing created, published or stored - a later real post with the key posts once.
#define BOOST_TEST_MODULE threads_dry_run
#include "token_world.hpp"

using namespace token_test;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

std::string str(const json::value &v) { return std::string(v.as_string()); }

constexpr const char *fast_text =
    R"(, "container_wait": {"text": {"first_check_s": 0.2, "interval_s": 0.2}})";

struct Posting : Cli {
  Posting() : Cli(fast_text) {
    control("POST", "/__sandbox/config", R"({"container_delay_s":{"TEXT":0.2}})");
    import("alice", issue());
  }
  static std::int64_t posts() {
    return control("GET", "/__sandbox/stats").at("publishes").at("total").as_int64();
  }
  static std::size_t containers() {
    return control("GET", "/__sandbox/containers").at("containers").as_array().size();
  }
  // Nothing that makes or publishes a post reached the sandbox.
  static void nothing_sent() {
    BOOST_TEST(sandbox_stat("create") == 0);
    BOOST_TEST(sandbox_stat("publish") == 0);
    BOOST_TEST(containers() == 0u);
    BOOST_TEST(posts() == 0);
  }
  // The stored publish record of `key`, if any ("" when there is none).
  std::string checkpoint(const std::string &key) {
    ProcessOptions o;
    o.env = env();
    auto r = run_process(required_env("AUTOHOST_BIN"),
                         {"secrets", "get", "threads/publish/alice/" + key}, o);
    return r.exit_code == 0 ? r.out : "";
  }
};

// `input` (a JSON object's text) with "dry_run": true added.
std::string dry(const std::string &input) {
  json::object o = json::parse(input).as_object();
  o["dry_run"] = true;
  return json::serialize(o);
}

} // namespace

BOOST_AUTO_TEST_SUITE(dry_run)

BOOST_AUTO_TEST_CASE(says_what_would_be_posted_and_sends_nothing_then_the_key_posts_once) {
  Posting c;
  const std::string input = R"({"text":"hello from a dry run","topic_tag":"tests"})";
  const auto out = c.ok("post", dry(input), {"--idempotency-key", "dry-1"});
  BOOST_TEST(out.at("dry_run").as_bool());
  BOOST_TEST(str(out.at("account")) == "alice");
  BOOST_TEST(str(out.at("shape")) == "text");
  BOOST_TEST(str(out.at("idempotency_key")) == "dry-1");
  BOOST_TEST(!out.contains("id"));
  BOOST_TEST(str(out.at("post").at("text")) == "hello from a dry run");
  BOOST_TEST(!out.at("post").as_object().contains("dry_run"));
  BOOST_TEST(str(out.at("quota").at("kind")) == "posts");
  BOOST_TEST(out.at("quota").at("used").as_int64() == 0);
  BOOST_TEST(out.at("quota").at("left").as_int64() == 250);
  BOOST_TEST(contains(str(out.at("message")), "dry run"));
  Posting::nothing_sent();
  BOOST_TEST(c.checkpoint("dry-1").empty()); // the key is not claimed

  // The real post with the same key publishes, once, as a new post.
  const auto real = c.ok("post", input, {"--idempotency-key", "dry-1"});
  BOOST_TEST(!str(real.at("id")).empty());
  BOOST_TEST(!real.at("resumed").as_bool());
  BOOST_TEST(Posting::posts() == 1);
  const auto again = c.ok("post", input, {"--idempotency-key", "dry-1"});
  BOOST_TEST(str(again.at("id")) == str(real.at("id")));
  BOOST_TEST(Posting::posts() == 1);

  // A dry run of that key now says the post is out, and a reply is checked against the reply
  // quota, with one post used.
  const auto done = c.ok("post", dry(input), {"--idempotency-key", "dry-1"});
  BOOST_TEST(str(done.at("already_published").at("id")) == str(real.at("id")));
  const auto reply =
      c.ok("post", dry(R"({"text":"a reply","reply_to_id":")" + str(real.at("id")) + R"("})"));
  BOOST_TEST(str(reply.at("quota").at("kind")) == "replies");
  const auto post = c.ok("post", dry(R"({"text":"another"})"));
  BOOST_TEST(post.at("quota").at("used").as_int64() == 1);
  BOOST_TEST(sandbox_stat("create") == 1);
  BOOST_TEST(Posting::posts() == 1);
}

// Every refusal of the real post comes out of the dry run unchanged: same exit code, same
// error (field and message), and still nothing sent.
BOOST_AUTO_TEST_CASE(bad_input_fails_as_the_real_post_does) {
  Posting c;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string(R"({"text":")") + std::string(501, 'x') + R"("})", "text"},
      {R"({"text":"hi","colour":"red"})", "colour"},
      {R"({"media":[{"type":"image","url":"http://plain.example/a.jpg"}]})", "media[0].url"},
      {R"({"text":"hi","poll":{"options":["only one"]}})", "poll.options"},
      {R"({"media":[{"type":"image","url":"https://cdn.example/a.jpg"}],"poll":{"options":["a","b"]}})",
       "poll"},
      {R"({"text":"hi","reply_to_id":"1","quote_post_id":"2"})", "quote_post_id"},
  };
  for (const auto &[input, field] : cases) {
    auto real = c.invoke("post", input);
    auto checked = c.invoke("post", dry(input));
    BOOST_TEST(real.exit_code == 3, input + ": " + real.err);
    BOOST_TEST(checked.exit_code == real.exit_code, input + ": " + checked.err);
    BOOST_TEST(Cli::error_of(checked) == Cli::error_of(real), checked.err);
    BOOST_TEST(contains(checked.err, field), checked.err);
  }
  // An idempotency key the store cannot hold.
  auto bad_key = c.invoke("post", dry(R"({"text":"hi"})"), {"--idempotency-key", "a/b"});
  auto real_bad_key = c.invoke("post", R"({"text":"hi"})", {"--idempotency-key", "a/b"});
  BOOST_TEST(bad_key.exit_code == 3, bad_key.err);
  BOOST_TEST(Cli::error_of(bad_key) == Cli::error_of(real_bad_key));
  Posting::nothing_sent();

  // A reply to a post that does not exist: Threads would refuse the container; the dry run
  // finds out by reading, and names the field.
  auto ghost = c.invoke("post", dry(R"({"text":"hi","reply_to_id":"17890000000000999"})"));
  auto real_ghost = c.invoke("post", R"({"text":"hi","reply_to_id":"17890000000000999"})");
  BOOST_TEST(ghost.exit_code == 3, ghost.err);
  BOOST_TEST(real_ghost.exit_code == 3, real_ghost.err);
  BOOST_TEST(str(Cli::error_of(ghost).at("field")) == "reply_to_id", ghost.err);
  auto quote = c.invoke("post", dry(R"({"text":"hi","quote_post_id":"17890000000000999"})"));
  BOOST_TEST(quote.exit_code == 3, quote.err);
  BOOST_TEST(str(Cli::error_of(quote).at("field")) == "quote_post_id", quote.err);
  BOOST_TEST(Posting::posts() == 0);

  // A key already used for another post is refused as the real post refuses it.
  c.ok("post", R"({"text":"first"})", {"--idempotency-key", "used"});
  auto reused = c.invoke("post", dry(R"({"text":"second"})"), {"--idempotency-key", "used"});
  auto real_reused = c.invoke("post", R"({"text":"second"})", {"--idempotency-key", "used"});
  BOOST_TEST(reused.exit_code == real_reused.exit_code, reused.err);
  BOOST_TEST(Cli::error_of(reused) == Cli::error_of(real_reused), reused.err);
  BOOST_TEST(str(Cli::error_of(reused).at("code")) == "idempotency_key_reused");
}

// An account that must be re-authorised fails the dry run with auth_required and the fix:
// an expired token (known locally), and a token Threads refuses (known only by asking).
BOOST_AUTO_TEST_CASE(an_account_needing_reauthorisation_fails) {
  {
    Posting c;
    sbx::add_fault(sandbox(), R"({"group":"any","mode":"expired_token","count":10})");
    auto r = c.invoke("post", dry(R"({"text":"hi"})"));
    BOOST_TEST_REQUIRE(r.exit_code == 5, r.err);
    const auto e = Cli::error_of(r);
    BOOST_TEST(str(e.at("status")) == "auth_required");
    BOOST_TEST(contains(str(e.at("fix")), "threads.auth_url --account alice"), r.err);
    Posting::nothing_sent();
  }
  Posting c;
  c.set_clock_days(70); // past the token's 60 days
  auto r = c.invoke("post", dry(R"({"text":"hi"})"));
  auto real = c.invoke("post", R"({"text":"hi"})");
  BOOST_TEST(r.exit_code == 5, r.err);
  BOOST_TEST(real.exit_code == 5, real.err);
  BOOST_TEST(contains(r.err, "threads.auth_url --account alice"), r.err);
  Posting::nothing_sent();
}

// With the quota used up the dry run fails as the real post would: quota_exhausted, with when
// the window frees.
BOOST_AUTO_TEST_CASE(an_exhausted_quota_fails_with_the_quota_error) {
  Posting c;
  control("POST", "/__sandbox/config", R"({"quota":{"posts":1}})");
  c.ok("post", R"({"text":"the one post of the day"})");
  auto r = c.invoke("post", dry(R"({"text":"one too many"})"), {"--idempotency-key", "full"});
  BOOST_TEST_REQUIRE(r.exit_code == 7, r.err);
  const auto e = Cli::error_of(r);
  BOOST_TEST(str(e.at("code")) == "quota_exhausted");
  BOOST_TEST(str(e.at("idempotency_key")) == "full");
  BOOST_TEST(e.at("retry_after_s").as_int64() > 0);
  auto real = c.invoke("post", R"({"text":"one too many"})", {"--idempotency-key", "full"});
  BOOST_TEST(real.exit_code == 7, real.err);
  BOOST_TEST(str(Cli::error_of(real).at("code")) == "quota_exhausted");
  BOOST_TEST(sandbox_stat("create") == 1);
  BOOST_TEST(Posting::posts() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
