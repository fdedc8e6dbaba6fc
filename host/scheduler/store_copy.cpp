// copy_store: the whole store - secrets, schedules, runs, generation - from one backend to another.
#include "scheduler/store_copy.hpp"

#include "errors.hpp"
#include "scheduler/schedule_store.hpp"
#include "scheduler/store_rows.hpp"
#include "store/pg/pg_url.hpp"
#include "store/sql_secret_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <variant>
#include <vector>

namespace autohost::scheduler {
namespace sql = store::sql;
using host::make_error;
using sql::Dialect;
using sql::Session;
using sql::Statement;

namespace {

// A table copied row by row: its columns in order and each one's type (t: text, i: integer,
// b: bytes). Any column may be NULL.
struct Table {
  std::string_view name;
  std::string_view columns;
  std::string_view types;
  std::string_view key; // ORDER BY, so both sides list rows alike
};

constexpr std::size_t column_count(std::string_view columns) {
  return static_cast<std::size_t>(std::count(columns.begin(), columns.end(), ',')) + 1;
}

constexpr Table secrets_table{"secrets", "key, version, sealed, updated_ms", "tibi", "key"};
constexpr Table schedules_table{"schedules", rows::schedule_columns,
                                "ttttttttt"
                                "iittiitttii",
                                "id"};
constexpr Table runs_table{"runs", rows::run_columns,
                           "ttttttt"
                           "itiiitiiiittii",
                           "id"};
static_assert(column_count(secrets_table.columns) == secrets_table.types.size());
static_assert(column_count(schedules_table.columns) == schedules_table.types.size());
static_assert(column_count(runs_table.columns) == runs_table.types.size());

struct Bytes {
  std::string bytes;
};
using Value = std::variant<std::monostate, std::int64_t, std::string, Bytes>;
using Row = std::vector<Value>;

struct Snapshot {
  std::vector<Row> secrets;
  std::vector<Row> schedules;
  std::vector<Row> runs;
  std::int64_t generation = 0;
};

std::vector<Row> read_table(Session &s, const Table &table) {
  Statement select(s, "SELECT " + std::string(table.columns) + " FROM " + std::string(table.name) +
                          " ORDER BY " + std::string(table.key));
  std::vector<Row> out;
  while (select.step()) {
    Row row;
    row.reserve(table.types.size());
    for (int i = 0; i < static_cast<int>(table.types.size()); ++i) {
      if (select.column_is_null(i))
        row.emplace_back(std::monostate{});
      else if (table.types[i] == 'i')
        row.emplace_back(select.column_int(i));
      else if (table.types[i] == 'b')
        row.emplace_back(Bytes{select.column_blob(i)});
      else
        row.emplace_back(select.column_text(i));
    }
    out.push_back(std::move(row));
  }
  return out;
}

void insert_rows(Session &s, const Table &table, const std::vector<Row> &rows) {
  std::string sql =
      "INSERT INTO " + std::string(table.name) + "(" + std::string(table.columns) + ") VALUES (";
  for (std::size_t i = 1; i <= table.types.size(); ++i)
    sql += (i > 1 ? ", ?" : "?") + std::to_string(i);
  sql += ")";
  for (const Row &row : rows) {
    if (!s.ok())
      return;
    Statement insert(s, sql);
    for (int i = 0; i < static_cast<int>(row.size()); ++i) {
      const Value &v = row[static_cast<std::size_t>(i)];
      if (std::holds_alternative<std::monostate>(v))
        insert.bind_null(i + 1);
      else if (const auto *n = std::get_if<std::int64_t>(&v))
        insert.bind(i + 1, *n);
      else if (const auto *b = std::get_if<Bytes>(&v))
        insert.bind_blob(i + 1, b->bytes);
      else
        insert.bind(i + 1, std::get<std::string>(v));
    }
    insert.step();
  }
}

std::int64_t read_generation(Session &s) {
  Statement read(s, s.dialect() == Dialect::sqlite
                        ? "SELECT value FROM meta WHERE name = 'schedules_generation'"
                        : "SELECT value FROM scheduler_generation");
  return read.step() ? read.column_int(0) : 0;
}

void set_generation(Session &s, std::int64_t value) {
  if (s.dialect() == Dialect::sqlite) {
    Statement set(s, "UPDATE meta SET value = ?1 WHERE name = 'schedules_generation'");
    set.bind(1, value).step();
    return;
  }
  Statement set(s, "UPDATE scheduler_generation SET value = ?1");
  set.bind(1, value).step();
  // Daemons already listening on the target look again once the copy commits.
  s.exec("SELECT pg_notify('autohost_wake', '')");
}

std::int64_t count_rows(Session &s, std::string_view table) {
  Statement count(s, "SELECT count(*) FROM " + std::string(table));
  return count.step() ? count.column_int(0) : 0;
}

std::string counted(std::int64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

// The same error with `side` ("the source", "the target") in front of its message.
Error on_side(const Error &error, std::string_view side) {
  return make_error(error.status, host::error_code(error),
                    std::string(side) + ": " + host::error_message(error));
}

// What makes two locations one store: the file (device and inode) for SQLite; for
// PostgreSQL the server instance (its port and start time) and the database. "" when the
// SQLite file does not exist yet.
Result<std::string> identity_of(std::string_view location) {
  if (!sql::is_postgres_location(location)) {
    struct stat st {};
    if (::stat(std::string(location).c_str(), &st) != 0)
      return std::string();
    return "file " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  }
  sql::BackendOptions options;
  options.pool_size = 1;
  AH_TRY_DECLARE(backend, sql::open_backend(location, options));
  return backend->read("identifying the database", [](Session &s) -> Result<std::string> {
    Statement who(s, "SELECT current_setting('port') || ' ' || "
                     "CAST(pg_postmaster_start_time() AS text) || ' ' || "
                     "CAST((SELECT oid FROM pg_database WHERE datname = current_database()) "
                     "AS text)");
    return who.step() ? "database " + who.column_text(0) : std::string();
  });
}

// The source must be an autohost store already: copying from a mistyped path or an empty
// database would otherwise create one and copy nothing.
Result<Done> check_source_exists(std::string_view location) {
  const std::string shown = store::pg::redact(location);
  const Error missing = make_error(
      AH_INTERNAL, "store", "the source store " + shown + " does not exist (nothing copied)");
  if (!sql::is_postgres_location(location)) {
    struct stat st {};
    if (::stat(std::string(location).c_str(), &st) != 0 || st.st_size == 0)
      return missing;
    return Done{};
  }
  sql::BackendOptions options;
  options.noun = "the source store";
  options.pool_size = 1;
  AH_TRY_DECLARE(backend, sql::open_backend(location, options));
  AH_TRY_DECLARE(exists, backend->read("looking for its secrets", [](Session &s) -> Result<bool> {
    Statement table(s, "SELECT to_regclass('autohost_schema') IS NOT NULL");
    if (!table.step() || table.column_int(0) == 0)
      return false;
    Statement row(s, "SELECT count(*) FROM autohost_schema "
                     "WHERE component = 'secrets'");
    return row.step() && row.column_int(0) > 0;
  }));
  if (!exists)
    return missing;
  return Done{};
}

// Opens a store as every autohost command does: created when missing (the target), the
// master key checked, its schema brought up to date, the scheduler's tables in place.
Result<std::unique_ptr<store::SqlSecretStore>> open_store(const std::string &location,
                                                          const store::KeySource &key) {
  AH_TRY_DECLARE(secrets, store::SqlSecretStore::open({location, key}));
  ScheduleStoreOptions schedules;
  schedules.location = location;
  AH_TRY(ScheduleStore::open(schedules));
  return secrets;
}

Result<Snapshot> read_source(sql::Backend &source) {
  return source.read("reading everything to copy", [](Session &s) -> Result<Snapshot> {
    Snapshot snap;
    snap.secrets = read_table(s, secrets_table);
    snap.schedules = read_table(s, schedules_table);
    snap.runs = read_table(s, runs_table);
    snap.generation = read_generation(s);
    return snap;
  });
}

Result<CopyReport> write_target(sql::Backend &target, const Snapshot &snap, CopyReport report) {
  return target.write("copying " + report.from + " into it", [&](Session &s) -> Result<CopyReport> {
    const std::int64_t secrets = count_rows(s, "secrets");
    const std::int64_t schedules = count_rows(s, "schedules");
    const std::int64_t runs = count_rows(s, "runs");
    if (!s.ok())
      return report;
    if (secrets + schedules + runs > 0) {
      return make_error(AH_CONFLICT, "store_not_empty",
                        "the target store " + target.location() + " is not empty (" +
                            counted(secrets, "secret") + ", " + counted(schedules, "schedule") +
                            ", " + counted(runs, "run") +
                            "); copy into a new store. Nothing was written");
    }
    const std::int64_t generation = read_generation(s);
    insert_rows(s, secrets_table, snap.secrets);
    insert_rows(s, schedules_table, snap.schedules);
    insert_rows(s, runs_table, snap.runs);
    // No daemon of the target holds a lease taken in the source: ended now, a running run
    // is stale at once, so the target's daemons take it over as after a daemon's death.
    const std::int64_t now_s = rows::seconds_of(rows::now_in(
        s, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())));
    Statement end(s, "UPDATE runs SET lease_until_s = ?1 WHERE status = 'running' AND "
                     "(lease_until_s IS NULL OR lease_until_s > ?1)");
    end.bind(1, now_s - 1).step();
    report.leases_ended = end.changes();
    report.generation = std::max(snap.generation, generation) + 1;
    set_generation(s, report.generation);
    return report;
  });
}

} // namespace

Result<CopyReport> copy_store(const CopyRequest &request) {
  CopyReport report;
  report.from = store::pg::redact(request.from);
  report.to = store::pg::redact(request.to);
  AH_TRY(check_source_exists(request.from));
  AH_TRY_DECLARE(from_id, identity_of(request.from));
  auto to_id = identity_of(request.to);
  if (!to_id)
    return on_side(to_id.error(), "the target");
  if (!to_id->empty() && *to_id == from_id) {
    return make_error(AH_INVALID_INPUT, "same_store",
                      "FROM and TO are the same store (" + report.from + " and " + report.to +
                          "); nothing copied");
  }
  auto source = open_store(request.from, request.key);
  if (!source)
    return on_side(source.error(), "the source");
  auto target = open_store(request.to, request.key);
  if (!target)
    return on_side(target.error(), "the target");
  AH_TRY_DECLARE(snap, read_source((*source)->backend()));
  for (const Row &row : snap.secrets) {
    if (std::holds_alternative<std::monostate>(row[2]))
      ++report.tombstones;
    else
      ++report.secrets;
  }
  report.schedules = static_cast<std::int64_t>(snap.schedules.size());
  report.runs = static_cast<std::int64_t>(snap.runs.size());
  return write_target((*target)->backend(), snap, std::move(report));
}

} // namespace autohost::scheduler
