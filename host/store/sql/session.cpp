// Sessions and statements over SQLite or PostgreSQL, and the ?N -> $N rewrite.
#include "store/sql/session.hpp"

#include <algorithm>
#include <charconv>

namespace autohost::store::sql {

namespace {

// The int64 in a PostgreSQL boolean or integer column (false/true as 0/1).
pg::PgResult<std::int64_t> pg_integer(const pg::Rows &rows, int row, int column) {
  auto number = rows.int64(row, column);
  if (number)
    return number;
  auto as_bool = rows.boolean(row, column);
  if (as_bool)
    return std::int64_t{*as_bool ? 1 : 0};
  return number;
}

} // namespace

std::string postgres_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int highest = 0;
  char quote = 0; // inside '...' or "..."
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote)
        quote = 0;
      out += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    std::size_t end = i + 1;
    while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9')
      ++end;
    int number = highest + 1; // a bare ? takes the next number, as in SQLite
    if (end > i + 1)
      std::from_chars(sql.data() + i + 1, sql.data() + end, number);
    highest = std::max(highest, number);
    out += '$';
    out += std::to_string(number);
    i = end - 1;
  }
  return out;
}

Session::Session(Database &db, TimePoint (*clock)()) noexcept : sqlite_(&db), clock_(clock) {}

Session::Session(pg::Connection &connection, bool trust_caller_clock) noexcept
    : pg_(&connection), trust_caller_clock_(trust_caller_clock) {}

bool Session::ok() const noexcept {
  if (sqlite_ != nullptr)
    return sqlite_->ok();
  return !failure_.has_value();
}

void Session::fail(Failure failure) {
  if (sqlite_ != nullptr) {
    const auto *lite = std::get_if<SqliteFailure>(&failure);
    sqlite_->fail(lite != nullptr ? lite->code : SQLITE_ERROR);
    return;
  }
  if (!failure_)
    failure_ = std::move(failure);
}

bool Session::exec(std::string_view sql) {
  if (sqlite_ != nullptr)
    return sqlite_->exec(sql);
  if (!ok())
    return false;
  auto done = pg_->exec(sql);
  if (!done)
    fail(std::move(done).error());
  return ok();
}

void Session::lock_store() {
  if (sqlite_ != nullptr || store_locked_ || !ok())
    return;
  store_locked_ = true;
  auto locked = pg_->execute("SELECT pg_advisory_xact_lock($1)", {write_lock_key});
  if (!locked)
    fail(std::move(locked).error());
}

TimePoint Session::now(TimePoint caller) {
  if (sqlite_ != nullptr || trust_caller_clock_)
    return caller;
  if (!db_now_) {
    db_now_ = caller; // used only if reading the clock fails, which fails the session
    Statement read(*this, "SELECT CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) "
                          "AS int8)");
    if (read.step())
      db_now_ = TimePoint(std::chrono::milliseconds(read.column_int(0)));
  }
  return *db_now_;
}

TimePoint Session::now() {
  using namespace std::chrono;
  const TimePoint host = clock_ != nullptr ? clock_() : floor<milliseconds>(system_clock::now());
  return now(host);
}

Statement::Statement(Session &session, std::string_view sql) : session_(session) {
  if (Database *db = session_.sqlite())
    sqlite_.emplace(*db, sql);
  else
    pg_sql_ = postgres_placeholders(sql);
}

Statement::~Statement() = default;

Statement::Value &Statement::slot(int index) {
  const auto at = static_cast<std::size_t>(index < 1 ? 1 : index);
  if (values_.size() < at)
    values_.resize(at);
  return values_[at - 1];
}

Statement &Statement::bind(int index, std::string_view text) {
  if (sqlite_)
    sqlite_->bind(index, text);
  else
    slot(index) = std::string(text);
  return *this;
}

Statement &Statement::bind_blob(int index, std::string_view bytes) {
  if (sqlite_)
    sqlite_->bind_blob(index, bytes);
  else
    slot(index) = Blob{std::string(bytes)};
  return *this;
}

Statement &Statement::bind(int index, std::int64_t value) {
  if (sqlite_)
    sqlite_->bind(index, value);
  else
    slot(index) = value;
  return *this;
}

Statement &Statement::bind_null(int index) {
  if (sqlite_)
    sqlite_->bind_null(index);
  else
    slot(index) = pg::Null{};
  return *this;
}

bool Statement::run_postgres() {
  std::vector<pg::Param> params;
  params.reserve(values_.size());
  for (const Value &value : values_) {
    if (const auto *text = std::get_if<std::string>(&value))
      params.emplace_back(std::string_view(*text));
    else if (const auto *number = std::get_if<std::int64_t>(&value))
      params.emplace_back(*number);
    else if (const auto *blob = std::get_if<Blob>(&value))
      params.emplace_back(pg::Bytea{blob->bytes});
    else
      params.emplace_back(pg::Null{});
  }
  auto rows = session_.postgres()->execute(pg_sql_, params);
  if (!rows) {
    session_.fail(std::move(rows).error());
    return false;
  }
  rows_.emplace(std::move(rows).value());
  return true;
}

bool Statement::step() {
  if (!session_.ok())
    return false;
  if (sqlite_) {
    const bool row = sqlite_->step();
    if (!row && session_.ok())
      sqlite_changes_ = sqlite3_changes64(session_.sqlite()->handle());
    return row;
  }
  if (!rows_ && !run_postgres())
    return false;
  ++row_;
  return row_ < rows_->size();
}

void Statement::column_failure(const pg::PgError &error) const { session_.fail(error); }

std::int64_t Statement::column_int(int index) const {
  if (sqlite_)
    return sqlite_->column_int(index);
  if (!rows_)
    return 0;
  auto value = pg_integer(*rows_, row_, index);
  if (!value) {
    column_failure(value.error());
    return 0;
  }
  return *value;
}

std::string Statement::column_text(int index) const {
  if (sqlite_)
    return sqlite_->column_text(index);
  if (!rows_)
    return {};
  return std::string(rows_->text(row_, index));
}

std::string Statement::column_blob(int index) const {
  if (sqlite_)
    return sqlite_->column_blob(index);
  if (!rows_ || rows_->is_null(row_, index))
    return {};
  auto bytes = rows_->bytea(row_, index);
  if (!bytes) {
    column_failure(bytes.error());
    return {};
  }
  return std::move(bytes).value();
}

bool Statement::column_is_null(int index) const {
  if (sqlite_)
    return sqlite_->column_is_null(index);
  return !rows_ || rows_->is_null(row_, index);
}

std::int64_t Statement::changes() const {
  if (sqlite_)
    return sqlite_changes_;
  return rows_ ? rows_->affected() : 0;
}

} // namespace autohost::store::sql
