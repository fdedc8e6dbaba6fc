// libpq's functions, resolved from libpq.so.5 when PostgreSQL is first used.
#pragma once

#include "store/pg/pg_error.hpp"

#include <libpq-fe.h>

namespace autohost::store::pg {

// Loaded with dlopen rather than linked: a host on SQLite (every CLI call of the default
// set-up) then never loads libpq and the Kerberos, LDAP and GnuTLS libraries behind it,
// whose loading and relocation cost about 4 ms of each process start (README, Benchmarks).
struct Libpq {
  decltype(&::PQbackendPID) backend_pid;
  decltype(&::PQclear) clear;
  decltype(&::PQcmdTuples) cmd_tuples;
  decltype(&::PQconninfoFree) conninfo_free;
  decltype(&::PQconninfoParse) conninfo_parse;
  decltype(&::PQconnectdbParams) connectdb_params;
  decltype(&::PQconsumeInput) consume_input;
  decltype(&::PQerrorMessage) error_message;
  decltype(&::PQescapeIdentifier) escape_identifier;
  decltype(&::PQexec) exec;
  decltype(&::PQexecPrepared) exec_prepared;
  decltype(&::PQfinish) finish;
  decltype(&::PQfname) fname;
  decltype(&::PQfreemem) freemem;
  decltype(&::PQftype) ftype;
  decltype(&::PQgetisnull) getisnull;
  decltype(&::PQgetlength) getlength;
  decltype(&::PQgetvalue) getvalue;
  decltype(&::PQisBusy) is_busy;
  decltype(&::PQnfields) nfields;
  decltype(&::PQnotifies) notifies;
  decltype(&::PQntuples) ntuples;
  decltype(&::PQprepare) prepare;
  decltype(&::PQresultErrorField) result_error_field;
  decltype(&::PQresultStatus) result_status;
  decltype(&::PQsetNoticeReceiver) set_notice_receiver;
  decltype(&::PQsocket) socket;
  decltype(&::PQstatus) status;
  decltype(&::PQtransactionStatus) transaction_status;
  decltype(&::PQunescapeBytea) unescape_bytea;
};

// Loads libpq once (thread-safe); a usage error naming the library and why when it cannot
// be loaded or lacks a function. Every path to a connection or a URL check calls it first.
PgResult<const Libpq *> load_libpq();

// The functions after load_libpq() succeeded: only code holding a connection or a result
// calls it, and both come after that. Aborts otherwise (a bug, not an input).
const Libpq &libpq() noexcept;

} // namespace autohost::store::pg
