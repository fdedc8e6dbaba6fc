// PostgreSQL store locations: which are URLs, and that no password survives redaction.
#define BOOST_TEST_MODULE pg_url
#include <boost/test/unit_test.hpp>

#include "pg_test_print.hpp"
#include "store/pg/pg_error.hpp"
#include "store/pg/pg_url.hpp"

#include "errors.hpp"

using autohost::store::pg::is_postgres_url;
using autohost::store::pg::redact;
using autohost::store::pg::scrub;

BOOST_AUTO_TEST_CASE(both_libpq_schemes_are_urls_and_paths_are_not) {
  BOOST_TEST(is_postgres_url("postgresql://db.example/autohost"));
  BOOST_TEST(is_postgres_url("postgres://db.example/autohost"));
  BOOST_TEST(!is_postgres_url("/var/lib/autohost/store.db"));
  BOOST_TEST(!is_postgres_url("store.db"));
  BOOST_TEST(!is_postgres_url("postgresql:/db")); // libpq would not take it either
  BOOST_TEST(!is_postgres_url("mysql://db/x"));
}

BOOST_AUTO_TEST_CASE(the_password_of_the_user_info_is_masked) {
  BOOST_TEST(redact("postgresql://alice:s3cret@db.example:5432/autohost?sslmode=verify-full") ==
             "postgresql://alice:***@db.example:5432/autohost?sslmode=verify-full");
  BOOST_TEST(redact("postgres://alice:p%40ss@db/x") == "postgres://alice:***@db/x");
  // An '@' or '/' left unencoded in the password still ends up masked.
  BOOST_TEST(redact("postgresql://alice:p@ss/w@db/x") == "postgresql://alice:***@db/x");
}

BOOST_AUTO_TEST_CASE(password_parameters_in_the_query_are_masked) {
  BOOST_TEST(redact("postgresql://alice@db/x?password=s3cret&sslmode=require") ==
             "postgresql://alice@db/x?password=***&sslmode=require");
  BOOST_TEST(redact("postgresql://db/x?sslmode=require&password=s3cret") ==
             "postgresql://db/x?sslmode=require&password=***");
  // libpq percent-decodes parameter names too.
  BOOST_TEST(redact("postgresql://db/x?pass%77ord=s3cret") == "postgresql://db/x?pass%77ord=***");
  BOOST_TEST(redact("postgresql://db/x?sslpassword=keypass&sslkey=/k.pem") ==
             "postgresql://db/x?sslpassword=***&sslkey=/k.pem");
  BOOST_TEST(redact("postgresql://a:one@db/x?password=two") ==
             "postgresql://a:***@db/x?password=***");
  // A URL of another scheme (refused as a store location) is still masked in the refusal.
  BOOST_TEST(redact("mysql://a:one@db/x") == "mysql://a:***@db/x");
}

BOOST_AUTO_TEST_CASE(a_location_without_secrets_is_unchanged) {
  for (const char *location :
       {"postgresql://alice@db.example/autohost?sslmode=verify-full&sslrootcert=/ca.pem",
        "postgresql:///autohost?host=/run/postgresql", "postgresql://[::1]:5433/x",
        "/var/lib/autohost/store.db"})
    BOOST_TEST(redact(location) == location);
}

BOOST_AUTO_TEST_CASE(keyword_value_strings_are_masked_too) {
  BOOST_TEST(redact("host=db password=s3cret user=alice") == "host=db password=*** user=alice");
  BOOST_TEST(redact("host=db password = 'a b\\' c' user=alice") ==
             "host=db password = *** user=alice");
  // Past anything it cannot read, nothing is shown.
  BOOST_TEST(redact("host=db passw0rd s3cret") == "host=db ***");
}

BOOST_AUTO_TEST_CASE(scrub_removes_the_secrets_raw_and_decoded_from_any_text) {
  const std::string url = "postgresql://alice:p%40ss-word@db/x?password=q%26w";
  const std::string message =
      "invalid percent-encoded token: \"p%40ss-word\"; p@ss-word; q%26w; q&w; alice";
  const std::string clean = scrub(message, url);
  BOOST_TEST(clean.find("ss-word") == std::string::npos, clean);
  BOOST_TEST(clean.find("q&w") == std::string::npos, clean);
  BOOST_TEST(clean.find("q%26w") == std::string::npos, clean);
  BOOST_TEST(clean.find("alice") != std::string::npos, clean); // user names are not secret
}

BOOST_AUTO_TEST_CASE(store_errors_say_what_to_do_and_name_the_sqlstate) {
  using namespace autohost::store::pg;
  const auto conflict = to_error(PgError{PgFailure::constraint, "23505", "duplicate key"}, "put");
  BOOST_TEST(conflict.status == AH_CONFLICT);
  BOOST_TEST(autohost::host::error_message(conflict) == "put: duplicate key (SQLSTATE 23505)");
  BOOST_TEST(to_error(PgError{PgFailure::connection, "08006", "lost"}, "claim").status ==
             AH_RETRY_LATER);
  BOOST_TEST(to_error(PgError{PgFailure::retryable, "40001", "x"}, "claim").status ==
             AH_RETRY_LATER);
  BOOST_TEST(to_error(PgError{PgFailure::other, "42601", "syntax"}, "claim").status == AH_INTERNAL);
  BOOST_TEST(failure_of("40P01") == PgFailure::retryable);
  BOOST_TEST(failure_of("57014") == PgFailure::timeout);
  BOOST_TEST(failure_of("57P01") == PgFailure::connection);
  BOOST_TEST(failure_of("08006") == PgFailure::connection);
  BOOST_TEST(failure_of("23503") == PgFailure::constraint);
  BOOST_TEST(failure_of("42P01") == PgFailure::other);
}
