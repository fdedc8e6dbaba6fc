// The SQLite wrapper's statement cache: reused statements start clean, nested use of one
// SQL text works, and a finished Statement holds no lock.
#define BOOST_TEST_MODULE sqlite
#include <boost/test/unit_test.hpp>

#include "store/sqlite.hpp"
#include "temp_dir.hpp"

using autohost::store::Database;
using autohost::store::Statement;
using autohost::test::TempDir;

namespace {

void require_ok(const Database &db) { BOOST_REQUIRE_MESSAGE(db.ok(), db.failure().message); }

std::int64_t scalar(Database &db, const char *sql) {
  Statement s(db, sql);
  BOOST_REQUIRE(s.step());
  return s.column_int(0);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_reused_statement_has_no_bindings_left_over) {
  TempDir dir;
  Database db(dir / "t.db", true);
  require_ok(db);
  for (int round = 0; round < 3; ++round) {
    {
      Statement bound(db, "SELECT ?1 IS NULL, ?1");
      bound.bind(1, std::int64_t{41 + round});
      BOOST_REQUIRE(bound.step());
      BOOST_TEST(bound.column_int(0) == 0);
      BOOST_TEST(bound.column_int(1) == 41 + round);
    }
    Statement unbound(db, "SELECT ?1 IS NULL, ?1");
    BOOST_REQUIRE(unbound.step());
    BOOST_TEST(unbound.column_int(0) == 1);
  }
  require_ok(db);
}

BOOST_AUTO_TEST_CASE(one_sql_text_can_be_used_nested) {
  TempDir dir;
  Database db(dir / "t.db", true);
  BOOST_REQUIRE(db.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
  constexpr const char *sql = "SELECT x FROM t WHERE x >= ? ORDER BY x";
  std::vector<std::int64_t> pairs;
  Statement outer(db, sql);
  outer.bind(1, std::int64_t{2});
  while (outer.step()) {
    Statement inner(db, sql);
    inner.bind(1, outer.column_int(0));
    while (inner.step())
      pairs.push_back(outer.column_int(0) * 10 + inner.column_int(0));
  }
  require_ok(db);
  BOOST_TEST(pairs == (std::vector<std::int64_t>{22, 23, 33}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_finished_statement_holds_no_read_lock) {
  TempDir dir;
  Database reader(dir / "t.db", true);
  BOOST_REQUIRE(reader.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
  {
    Statement partly_read(reader, "SELECT x FROM t");
    BOOST_REQUIRE(partly_read.step()); // rows remain: the statement is still mid-scan
  }
  // A rollback-journal database: a reader's lock would make this exclusive write busy.
  Database writer(dir / "t.db", false);
  BOOST_REQUIRE(writer.exec("BEGIN EXCLUSIVE; INSERT INTO t VALUES (4); COMMIT;"));
  BOOST_TEST(scalar(reader, "SELECT count(*) FROM t") == 4);
}

BOOST_AUTO_TEST_CASE(a_cached_statement_follows_schema_changes) {
  TempDir dir;
  Database db(dir / "t.db", true);
  BOOST_REQUIRE(db.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1);"));
  {
    Statement all(db, "SELECT * FROM t");
    BOOST_REQUIRE(all.step());
    BOOST_TEST(all.column_int(0) == 1);
  }
  BOOST_REQUIRE(db.exec("ALTER TABLE t ADD COLUMN y INTEGER DEFAULT 7"));
  Statement all(db, "SELECT * FROM t");
  BOOST_REQUIRE(all.step());
  BOOST_TEST(all.column_int(1) == 7);
  require_ok(db);
}
