// Resolving libpq's functions with dlopen/dlsym, once per process.
#include "store/pg/libpq.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace autohost::store::pg {
namespace {

// libpq's SONAME; it has been 5 since PostgreSQL 8.4.
constexpr const char *libpq_file = "libpq.so.5";

struct Loaded {
  Libpq functions{};
  std::string error; // empty when every function was found
};

template <class F> void resolve(void *library, const char *name, F &out, std::string &error) {
  out = reinterpret_cast<F>(::dlsym(library, name));
  if (out == nullptr && error.empty())
    error = std::string(libpq_file) + " has no function " + name;
}

Loaded load() {
  Loaded loaded;
  // Never closed: the functions stay in use until the process ends.
  void *library = ::dlopen(libpq_file, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char *why = ::dlerror();
    loaded.error = std::string("cannot load ") + libpq_file + " (PostgreSQL's client library, " +
                   "Debian package libpq5): " + (why != nullptr ? why : "unknown error");
    return loaded;
  }
  Libpq &f = loaded.functions;
  std::string &e = loaded.error;
  resolve(library, "PQbackendPID", f.backend_pid, e);
  resolve(library, "PQclear", f.clear, e);
  resolve(library, "PQcmdTuples", f.cmd_tuples, e);
  resolve(library, "PQconninfoFree", f.conninfo_free, e);
  resolve(library, "PQconninfoParse", f.conninfo_parse, e);
  resolve(library, "PQconnectdbParams", f.connectdb_params, e);
  resolve(library, "PQconsumeInput", f.consume_input, e);
  resolve(library, "PQerrorMessage", f.error_message, e);
  resolve(library, "PQescapeIdentifier", f.escape_identifier, e);
  resolve(library, "PQexec", f.exec, e);
  resolve(library, "PQexecPrepared", f.exec_prepared, e);
  resolve(library, "PQfinish", f.finish, e);
  resolve(library, "PQfname", f.fname, e);
  resolve(library, "PQfreemem", f.freemem, e);
  resolve(library, "PQftype", f.ftype, e);
  resolve(library, "PQgetisnull", f.getisnull, e);
  resolve(library, "PQgetlength", f.getlength, e);
  resolve(library, "PQgetvalue", f.getvalue, e);
  resolve(library, "PQisBusy", f.is_busy, e);
  resolve(library, "PQnfields", f.nfields, e);
  resolve(library, "PQnotifies", f.notifies, e);
  resolve(library, "PQntuples", f.ntuples, e);
  resolve(library, "PQprepare", f.prepare, e);
  resolve(library, "PQresultErrorField", f.result_error_field, e);
  resolve(library, "PQresultStatus", f.result_status, e);
  resolve(library, "PQsetNoticeReceiver", f.set_notice_receiver, e);
  resolve(library, "PQsocket", f.socket, e);
  resolve(library, "PQstatus", f.status, e);
  resolve(library, "PQtransactionStatus", f.transaction_status, e);
  resolve(library, "PQunescapeBytea", f.unescape_bytea, e);
  return loaded;
}

const Loaded &loaded() {
  static const Loaded once = load();
  return once;
}

} // namespace

PgResult<const Libpq *> load_libpq() {
  const Loaded &l = loaded();
  if (!l.error.empty())
    return PgError{PgFailure::usage, {}, l.error};
  return &l.functions;
}

const Libpq &libpq() noexcept {
  const Loaded &l = loaded();
  if (!l.error.empty()) {
    std::fprintf(stderr, "autohost: libpq used before it was loaded: %s\n", l.error.c_str());
    std::abort();
  }
  return l.functions;
}

} // namespace autohost::store::pg
