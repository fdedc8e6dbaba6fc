// Where a store suite that runs on both backends keeps each test's store.
#pragma once

#include <filesystem>
#include <string>

namespace autohost::test {

// The backend a parameterised store suite runs on: PostgreSQL when the environment sets
// AUTOHOST_TEST_BACKEND=postgres (meson registers such suites once per backend), else SQLite.
bool testing_postgres();

// A location for a fresh, empty store: `dir / name` on SQLite; on PostgreSQL the URL of a
// new database in one throw-away cluster that this test process starts on first use and
// removes when it exits (forked children share it, as several hosts share one server).
std::string fresh_store_location(const std::filesystem::path &dir,
                                 const std::string &name = "store.db");

} // namespace autohost::test
