// OAuth helpers, times as text, and the record formats of apps, accounts and authorisations.
#define BOOST_TEST_MODULE oauth
#include <boost/test/unit_test.hpp>

#include "auth/app_credentials.hpp"
#include "auth/oauth.hpp"
#include "auth/pending_authorisations.hpp"
#include "auth/time_text.hpp"
#include "auth/token_record.hpp"
#include "json_text.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <limits>
#include <set>

using namespace threads::auth;

BOOST_AUTO_TEST_CASE(the_redirect_url_gives_code_and_state_without_the_fragment) {
  auto p = parse_redirect("https://example.com/cb?code=AQBx-y_z&state=s7ate#_");
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->code == "AQBx-y_z");
  BOOST_TEST(p->state == "s7ate");
  BOOST_TEST(p->error.empty());
  auto encoded = parse_redirect("  https://example.com/cb/?state=a%2Bb&code=c%3Dd#_\n");
  BOOST_TEST(encoded->code == "c=d");
  BOOST_TEST(encoded->state == "a+b");
}

BOOST_AUTO_TEST_CASE(a_bare_code_loses_its_hash_underscore) {
  BOOST_TEST(parse_redirect("AQDcode123#_")->code == "AQDcode123");
  BOOST_TEST(parse_redirect("AQDcode123")->code == "AQDcode123");
  BOOST_TEST(parse_redirect("AQDcode123")->state.empty());
}

BOOST_AUTO_TEST_CASE(a_denied_authorisation_is_read_as_such) {
  auto p = parse_redirect("https://example.com/cb?error=access_denied&error_reason=user_denied"
                          "&error_description=The+user+denied+your+request&state=x#_");
  BOOST_TEST(p->error == "access_denied");
  BOOST_TEST(p->code.empty());
  BOOST_TEST(p->state == "x");
  BOOST_TEST(p->error_description.find("denied") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(authorize_url_carries_every_parameter_encoded) {
  const std::string url =
      authorize_url("https://threads.net", "1000000000000001", "https://example.com/cb?x=1",
                    {"threads_basic", "threads_content_publish"}, "st-_ate");
  BOOST_TEST(url.rfind("https://threads.net/oauth/authorize?", 0) == 0u, url);
  BOOST_TEST(url.find("client_id=1000000000000001") != std::string::npos);
  BOOST_TEST(url.find("redirect_uri=https%3A%2F%2Fexample.com%2Fcb%3Fx%3D1") != std::string::npos,
             url);
  BOOST_TEST(url.find("scope=threads_basic%2Cthreads_content_publish") != std::string::npos, url);
  BOOST_TEST(url.find("response_type=code") != std::string::npos);
  BOOST_TEST(url.find("state=st-_ate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(scopes_are_checked_and_threads_basic_is_always_asked) {
  auto s = normalise_scopes({"threads_delete", "threads_delete"});
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->size() == 2u);
  BOOST_TEST(s->front() == "threads_basic");
  auto bad = normalise_scopes({"threads_basic", "instagram_basic"});
  BOOST_REQUIRE(!bad.has_value());
  BOOST_TEST(bad.error().body.find("'instagram_basic' is not a Threads scope") !=
             std::string::npos);
  BOOST_TEST(bad.error().body.find("\"field\":\"scopes\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(states_are_long_random_and_url_safe) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto s = generate_state();
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->size() == 43u);
    BOOST_TEST(s->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-_") == std::string::npos);
    seen.insert(*s);
  }
  BOOST_TEST(seen.size() == 200u);
}

BOOST_AUTO_TEST_CASE(times_parse_from_unix_seconds_and_iso_8601) {
  BOOST_TEST(parse_time_ms("1700000000").value() == 1'700'000'000'000);
  BOOST_TEST(parse_time_ms("2023-11-14T22:13:20Z").value() == 1'700'000'000'000);
  BOOST_TEST(parse_time_ms("2023-11-15T00:13:20+02:00").value() == 1'700'000'000'000);
  BOOST_TEST(parse_time_ms("2023-11-14T17:13:20-0500").value() == 1'700'000'000'000);
  BOOST_TEST(parse_time_ms("2023-11-14T22:13:20.250Z").value() == 1'700'000'000'250);
  BOOST_TEST(!parse_time_ms("2023-11-14T22:13:20").has_value()); // no zone: ambiguous
  BOOST_TEST(!parse_time_ms("tomorrow").has_value());
  BOOST_TEST(!parse_time_ms("2023-13-01T00:00:00Z").has_value());
  BOOST_TEST(iso8601(1'700'000'000'000) == "2023-11-14T22:13:20Z");
  BOOST_TEST(iso8601(0).empty());
}

// Text is escaped exactly as Boost.JSON escapes it, whatever its length and wherever the
// character that needs it sits (the scan for one reads eight bytes at a time).
BOOST_AUTO_TEST_CASE(strings_are_escaped_wherever_the_character_is) {
  namespace json = boost::json;
  const std::string specials[] = {"\"", "\\", std::string(1, '\0'), "\x1f", "\n"};
  const std::string plains[] = {" ", "\x7f", "\xc3\xa9", "!", "#", "[", "]", "\x80", "\xff"};
  for (std::size_t length = 0; length <= 24; ++length) {
    for (std::size_t at = 0; at <= length; ++at) {
      for (const std::string &odd : specials) {
        for (const std::string &plain : {std::string("a"), std::string("\xc3")}) {
          std::string text(length, plain[0]);
          if (at < length)
            text.replace(at, 1, odd);
          std::string out = "x";
          threads::append_json_string(out, text);
          BOOST_TEST(out == "x" + json::serialize(json::string(text)), length << " " << at);
        }
      }
    }
  }
  for (const std::string &plain : plains) {
    const std::string text = "token" + plain + "0123456789" + plain;
    std::string out;
    threads::append_json_string(out, text);
    BOOST_TEST(out == "\"" + text + "\"");
  }
}

// A record is written as text directly (not through a boost::json::object): it must be the
// JSON document of every field, with text that needs escaping escaped, and read back whole.
BOOST_AUTO_TEST_CASE(records_are_written_as_the_json_of_every_field) {
  namespace json = boost::json;
  TokenRecord r;
  r.app = "main";
  r.user_id = "17841400000000001";
  r.username = "quote\" back\\slash\nline\x01 \xc3\xa9";
  r.access_token = "THtoken";
  r.kind = TokenKind::short_lived;
  r.scopes = {"threads_basic", "tab\there"};
  r.scopes_checked_at_ms = std::numeric_limits<std::int64_t>::min();
  r.issued_at_ms = 1;
  r.expires_at_ms = std::numeric_limits<std::int64_t>::max();
  r.status = AccountStatus::needs_reauth;
  r.last_refresh_attempt_ms = -2;
  r.last_refresh_error = "rejected: \"Invalid OAuth access token\"";
  r.last_refresh_ms = 0;
  r.previous_token = "THold";
  r.previous_expires_at_ms = 3;
  r.refresh_claimant = "r-1";
  r.refresh_claim_ms = 4;
  const json::value expected = json::object{{"app", "main"},
                                            {"user_id", "17841400000000001"},
                                            {"username", r.username},
                                            {"access_token", "THtoken"},
                                            {"kind", "short"},
                                            {"scopes", json::array{"threads_basic", "tab\there"}},
                                            {"scopes_checked_at_ms", r.scopes_checked_at_ms},
                                            {"issued_at_ms", 1},
                                            {"expires_at_ms", r.expires_at_ms},
                                            {"status", "needs_reauth"},
                                            {"last_refresh_attempt_ms", -2},
                                            {"last_refresh_error", r.last_refresh_error},
                                            {"last_refresh_ms", 0},
                                            {"previous_token", "THold"},
                                            {"previous_expires_at_ms", 3},
                                            {"refresh_claimant", "r-1"},
                                            {"refresh_claim_ms", 4}};
  const std::string text = to_json(r);
  BOOST_TEST(json::parse(text) == expected, text);
  auto back = token_record_from_json("alice", text);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->username == r.username);
  BOOST_TEST((back->kind == TokenKind::short_lived));
  BOOST_TEST((back->scopes == r.scopes));
  BOOST_TEST(back->scopes_checked_at_ms == r.scopes_checked_at_ms);
  BOOST_TEST(back->expires_at_ms == r.expires_at_ms);
  BOOST_TEST((back->status == AccountStatus::needs_reauth));
  BOOST_TEST(back->last_refresh_attempt_ms == -2);
  BOOST_TEST(back->last_refresh_error == r.last_refresh_error);
  BOOST_TEST(back->previous_expires_at_ms == 3);
  // No scopes: an empty array, not a missing member.
  r.scopes.clear();
  BOOST_TEST(json::parse(to_json(r)).as_object().at("scopes") == json::array{});
}

// The writer starts with room for a usual record and grows as it must: long fields, many
// scopes and text that escapes to six times its length come out whole.
BOOST_AUTO_TEST_CASE(records_longer_than_the_first_guess_are_written_whole) {
  namespace json = boost::json;
  TokenRecord r;
  r.last_refresh_error = std::string(3000, '\x01');
  for (int i = 0; i < 100; ++i)
    r.scopes.push_back("scope_" + std::to_string(i) + std::string(40, i % 2 == 0 ? 'x' : '"'));
  r.refresh_claimant = std::string(700, 'c');
  const json::value doc = json::parse(to_json(r));
  BOOST_TEST(doc.at("last_refresh_error").as_string() == r.last_refresh_error);
  BOOST_TEST(doc.at("scopes").as_array().size() == 100U);
  BOOST_TEST(doc.at("scopes").as_array()[99].as_string() == r.scopes[99]);
  BOOST_TEST(doc.at("refresh_claimant").as_string() == r.refresh_claimant);
  BOOST_TEST(doc.at("refresh_claim_ms").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(records_round_trip_and_damage_is_named) {
  TokenRecord r;
  r.app = "main";
  r.user_id = "17841400000000001";
  r.access_token = "THsecret";
  r.scopes = {"threads_basic"};
  r.issued_at_ms = 1;
  r.expires_at_ms = 2;
  r.previous_token = "THold";
  r.refresh_claimant = "r-1";
  r.refresh_claim_ms = 3;
  r.last_refresh_ms = 4;
  auto back = token_record_from_json("alice", to_json(r));
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->previous_token == "THold");
  BOOST_TEST(back->refresh_claimant == "r-1");
  BOOST_TEST(back->refresh_claim_ms == 3);
  BOOST_TEST(back->last_refresh_ms == 4);
  BOOST_TEST(back->app == "main");
  auto damaged = token_record_from_json("alice", "{\"kind\":\"long\"}");
  BOOST_REQUIRE(!damaged.has_value());
  BOOST_TEST(damaged.error().body.find("account 'alice'") != std::string::npos);

  // Records are written and read through a 4 KB buffer on the stack; a larger one (a long
  // token, many scopes) spills to the heap and must come back whole.
  r.access_token = std::string(6000, 'T');
  r.scopes.assign(300, "threads_content_publish");
  auto large = token_record_from_json("alice", to_json(r));
  BOOST_REQUIRE(large.has_value());
  BOOST_TEST(large->access_token == r.access_token);
  BOOST_TEST(large->scopes.size() == 300U);
  BOOST_TEST(large->previous_token == "THold");

  PendingAuthorisation p{"alice", "main", "https://example.com/cb", {"threads_basic"}, 5};
  auto pending = pending_from_json(to_json(p));
  BOOST_REQUIRE(pending.has_value());
  BOOST_TEST(pending->account == "alice");
  BOOST_TEST(pending->created_at_ms == 5);
  BOOST_TEST(!pending_from_json("[]").has_value());
}

// Records are read member by member as the parser meets them (no document is built), as
// leniently as ever: unknown members, whatever their value, are skipped, a member of the
// wrong type is ignored, escapes are decoded; anything but one JSON object is damage.
BOOST_AUTO_TEST_CASE(records_are_read_leniently_and_refused_when_not_one_object) {
  const std::string record =
      R"( {"access_token":"TH\u0041\"quoted\\","k\u0069nd":"long","status":"needs_reauth",)"
      R"("scopes":["a",7,["b"],{"c":"d"},"e"],)"
      R"("future_member":{"access_token":"THnested","scopes":["inner"],"deep":[[1],{"a":2}]},)"
      R"("a_member_name_far_longer_than_any_field_of_the_record":"x","app\u0000":"y",)"
      R"("user_id":17841400000000001,"username":"alice\ncarol","expires_at_ms":"soon",)"
      R"("issued_at_ms":1700000000000,"last_refresh_ms":18446744073709551615,)"
      R"("refresh_claim_ms":2.5,"app":null,"last_refresh_error":"")"
      "\n}\n ";
  auto r = token_record_from_json("alice", record);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->access_token == "THA\"quoted\\");
  BOOST_TEST((r->kind == TokenKind::long_lived));
  BOOST_TEST((r->status == AccountStatus::needs_reauth));
  BOOST_TEST(r->user_id.empty()); // a number where a string belongs
  BOOST_TEST(r->username == "alice\ncarol");
  BOOST_TEST(r->expires_at_ms == 0); // a string where a number belongs
  BOOST_TEST(r->issued_at_ms == 1'700'000'000'000);
  BOOST_TEST(r->last_refresh_ms == 0);  // beyond int64
  BOOST_TEST(r->refresh_claim_ms == 0); // not a whole number
  BOOST_TEST(r->app.empty());
  BOOST_TEST((r->scopes == std::vector<std::string>{"a", "e"}));

  // Later members of the same name win, as they did when a document was built.
  auto twice = token_record_from_json(
      "alice", R"({"access_token":"THold","scopes":["x"],"kind":"short","status":"active",)"
               R"("access_token":"THnew","scopes":["y","z"]})");
  BOOST_REQUIRE(twice.has_value());
  BOOST_TEST(twice->access_token == "THnew");
  BOOST_TEST((twice->scopes == std::vector<std::string>{"y", "z"}));
  BOOST_TEST((twice->kind == TokenKind::short_lived));
  // ... even a later member whose value has the wrong type: it leaves the field empty.
  auto replaced = token_record_from_json(
      "alice", R"({"access_token":"THx","kind":"long","status":"active","st\u0061tus":7})");
  BOOST_REQUIRE(!replaced.has_value());
  BOOST_TEST(replaced.error().body.find("(status)") != std::string::npos);

  for (const char *damaged :
       {"", "[]", "\"THx\"", "17", "null", R"({"access_token":"THx","kind":"long")",
        R"({"access_token":"THx","kind":"long","status":"active"} {})",
        R"({"access_token":"THx","kind":"long","status":"active"}x)",
        R"({"access_token":"THx","kind":"long","status":"active",})"}) {
    auto refused = token_record_from_json("alice", damaged);
    BOOST_TEST_INFO("record: " << damaged);
    BOOST_REQUIRE(!refused.has_value());
    BOOST_TEST(refused.error().body.find("not a JSON object") != std::string::npos);
  }
  auto no_token = token_record_from_json("alice", R"({"kind":"long","status":"active"})");
  BOOST_REQUIRE(!no_token.has_value());
  BOOST_TEST(no_token.error().body.find("no access_token") != std::string::npos);
  auto bad_kind =
      token_record_from_json("alice", R"({"access_token":"THx","kind":7,"status":"active"})");
  BOOST_REQUIRE(!bad_kind.has_value());
  BOOST_TEST(bad_kind.error().body.find("(kind)") != std::string::npos);
  BOOST_TEST(bad_kind.error().body.find("THx") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(app_credentials_are_validated_field_by_field) {
  AppCredentials ok{"1000000000000001", "s3cret", "https://example.com/cb"};
  BOOST_TEST(validate(ok).has_value());
  auto back = app_credentials_from_json("main", to_json(ok));
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->app_secret == "s3cret");
  AppCredentials bad_id = ok;
  bad_id.app_id = "12ab";
  BOOST_TEST(validate(bad_id).error().body.find("\"field\":\"app_id\"") != std::string::npos);
  AppCredentials bad_uri = ok;
  bad_uri.redirect_uri = "example.com/cb";
  BOOST_TEST(validate(bad_uri).error().body.find("\"field\":\"redirect_uri\"") !=
             std::string::npos);
  AppCredentials bad_secret = ok;
  bad_secret.app_secret = "";
  auto e = validate(bad_secret);
  BOOST_TEST(e.error().body.find("\"field\":\"app_secret\"") != std::string::npos);
  auto damaged = app_credentials_from_json("main", R"({"app_id":"1","app_secret":"s3cret"})");
  BOOST_REQUIRE(!damaged.has_value());
  BOOST_TEST(damaged.error().body.find("s3cret") == std::string::npos);
}
