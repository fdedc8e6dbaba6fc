// Helpers the secret store's unit suites share: opening a store in a test, and reading or
// editing its file with plain SQLite, as someone with access to the file would.
#pragma once

#include "errors.hpp"
#include "result_print.hpp"
#include "store/sql_secret_store.hpp"
#include "text_match.hpp"

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

namespace autohost::test {

using store::SecretStoreOptions;
using store::SqlSecretStore;

inline std::unique_ptr<SqlSecretStore> open_ok(const SecretStoreOptions &o) {
  auto s = SqlSecretStore::open(o);
  BOOST_REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().body));
  return std::move(s).value();
}

inline std::string open_error(const SecretStoreOptions &o) {
  auto s = SqlSecretStore::open(o);
  BOOST_REQUIRE(!s.has_value());
  return autohost::host::error_message(s.error());
}

// Runs SQL (several statements allowed) on the file; `blobs` bind to each statement's ?s.
inline void raw_sql(const std::filesystem::path &file, const std::string &sql,
                    const std::vector<std::string> &blobs = {}) {
  sqlite3 *db = nullptr;
  BOOST_REQUIRE_EQUAL(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt *stmt = nullptr;
  const char *rest = sql.c_str();
  while (*rest != '\0') {
    BOOST_REQUIRE_EQUAL(sqlite3_prepare_v2(db, rest, -1, &stmt, &rest), SQLITE_OK);
    if (stmt == nullptr)
      break;
    for (std::size_t i = 0;
         i < blobs.size() && i < static_cast<std::size_t>(sqlite3_bind_parameter_count(stmt));
         ++i) {
      sqlite3_bind_blob(stmt, int(i + 1), blobs[i].data(), int(blobs[i].size()), SQLITE_TRANSIENT);
    }
    const int rc = sqlite3_step(stmt);
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_DONE || rc == SQLITE_ROW, sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
}

// The sealed bytes (nonce || ciphertext) of `key` as they are in the SQLite file.
inline std::string raw_sealed(const std::filesystem::path &file, const std::string &key) {
  sqlite3 *db = nullptr;
  BOOST_REQUIRE_EQUAL(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt *stmt = nullptr;
  BOOST_REQUIRE_EQUAL(
      sqlite3_prepare_v2(db, "SELECT sealed FROM secrets WHERE key = ?", -1, &stmt, nullptr),
      SQLITE_OK);
  sqlite3_bind_text(stmt, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  std::string sealed;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    sealed.assign(static_cast<const char *>(sqlite3_column_blob(stmt, 0)),
                  static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  BOOST_REQUIRE_MESSAGE(!sealed.empty(), "no sealed value for " << key);
  return sealed;
}

} // namespace autohost::test
