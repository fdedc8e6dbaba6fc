/* The autohost plugin ABI: the only contract between a host and a plugin (C11 and C++). */
#ifndef AUTOHOST_ABI_H
#define AUTOHOST_ABI_H

/*
 * Rules of the seam
 * -----------------
 * Versioning. AH_ABI_MAJOR changes only when an existing field changes meaning or
 *   position; a host refuses a plugin whose major differs from its own. AH_ABI_MINOR grows
 *   when fields are appended to the end of a struct. Every struct starts with
 *   `struct_size` (sizeof as the writer compiled it); a reader uses a field only if the
 *   struct it got is large enough to hold it (see AH_HAS_FIELD). History: 1.0 is the
 *   first; 1.1 appended ah_host_services.secret_put_many (batched compare-and-set).
 *
 * Discovery. A plugin exports exactly one function, `autohost_plugin_entry` (the name is
 *   AH_ENTRY_SYMBOL), returning a pointer to a static, immutable ah_plugin table. The host
 *   reads abi_major and struct_size before calling anything else.
 *
 * Data. Strings cross as {pointer, length} UTF-8 (not NUL-terminated unless stated).
 *   Structured data crosses as JSON text. Pointers passed into a call are borrowed for
 *   the duration of that call only. Results are written into a sink the caller owns, so
 *   no side ever frees memory the other allocated.
 *
 * Errors. Every function returns an ah_status; nothing unwinds across the seam (a C++
 *   plugin catches everything). When a call fails, the sink receives a JSON error body:
 *   {"code": "...", "message": "...", and optionally "field", "retry_after_s",
 *   "threads_code", "threads_subcode", "fbtrace_id", "hint"}.
 *
 * Threading. `create` and `destroy` are called once per instance, never concurrently with
 *   any other call on that instance. `invoke` and `run_job` may be called concurrently
 *   from several host threads on one instance; the plugin synchronises its own state.
 *   Host services may be called from any thread, including threads the plugin started.
 *
 * Lifetime. The host keeps the library loaded until every instance is destroyed.
 *   `destroy` returns only after every thread and timer the instance started has stopped.
 *   The host_services table passed to `create` stays valid until `destroy` returns.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AH_ABI_MAJOR 1
#define AH_ABI_MINOR 1
#define AH_ENTRY_SYMBOL "autohost_plugin_entry"

/* True when a struct received from the other side is large enough to contain `field`. */
#define AH_HAS_FIELD(ptr, type, field)                                                             \
  ((ptr) != NULL &&                                                                                \
   (size_t)(ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* A borrowed UTF-8 string; `ptr` may be NULL when `len` is 0. */
typedef struct ah_str {
  const char *ptr;
  size_t len;
} ah_str;

/* What the host should do with the outcome of a call. Values are stable. */
typedef enum ah_status {
  AH_OK = 0,
  AH_INVALID_INPUT = 1, /* the input is wrong; retrying the same input fails again */
  AH_NOT_FOUND = 2,     /* unknown action, job, account, object */
  AH_AUTH_REQUIRED = 3, /* the user must re-authorise; the error says how */
  AH_RETRY_LATER = 4,   /* transient; the error may carry retry_after_s */
  AH_RATE_LIMITED = 5,  /* a quota or rate limit; the error may carry retry_after_s */
  AH_CONFLICT = 6,      /* a compare-and-set lost, or the operation collides with another */
  AH_CANCELLED = 7,     /* the call context was cancelled or its deadline passed */
  AH_INTERNAL = 8       /* a bug or an unexpected condition; the error says what */
} ah_status;

typedef enum ah_log_level {
  AH_LOG_DEBUG = 0,
  AH_LOG_INFO = 1,
  AH_LOG_WARN = 2,
  AH_LOG_ERROR = 3
} ah_log_level;

/* A caller-owned output. `write` may be called several times; the pieces concatenate. */
typedef struct ah_sink {
  void *ctx;
  void (*write)(void *ctx, const char *data, size_t len);
} ah_sink;

/* A secret version: 0 means "does not exist"; AH_VERSION_ANY skips the version check. */
#define AH_VERSION_ANY UINT64_MAX

/*
 * One item of a batched compare-and-set write (secret_put_many, ABI 1.1). The caller fills
 * `key`, `value` and `expected_version` (the same meanings as for secret_put); the host
 * fills `status` and `new_version`. Items are laid out as a plain array, so this struct has
 * no struct_size and never grows: a later minor version adds a new function instead.
 */
typedef struct ah_secret_write {
  ah_str key;
  ah_str value;
  uint64_t expected_version;
  ah_status status;     /* out: AH_OK, AH_CONFLICT or AH_INVALID_INPUT (see secret_put_many) */
  uint64_t new_version; /* out: the version written (AH_OK) or stored now (AH_CONFLICT) */
} ah_secret_write;

/*
 * Services the host offers a plugin instance (the SQLite pApi pattern). The plugin calls
 * the host only through this table. `host` is passed back as the first argument.
 */
typedef struct ah_host_services {
  uint32_t struct_size;
  uint32_t abi_minor;
  void *host;

  /* One structured log event. `fields_json` is a JSON object text or empty. The host
   * adds time, plugin name and level, and writes one JSON line. Never pass secrets. */
  void (*log)(void *host, ah_log_level level, ah_str message, ah_str fields_json);

  /* Reads a secret. On AH_OK writes the plaintext value to `value` and its version to
   * `*version`. AH_NOT_FOUND when absent. Other failures write an error body to `value`. */
  ah_status (*secret_get)(void *host, ah_str key, ah_sink *value, uint64_t *version);

  /* Compare-and-set write: succeeds only when the stored version equals
   * `expected_version` (0: must not exist; AH_VERSION_ANY: unconditional). On AH_OK,
   * `*new_version` is the version written. On AH_CONFLICT, `*new_version` is the version
   * currently stored. `error` (may be NULL) receives an error body on failure. */
  ah_status (*secret_put)(void *host, ah_str key, ah_str value, uint64_t expected_version,
                          uint64_t *new_version, ah_sink *error);

  /* Lists secrets whose key starts with `prefix`, as a JSON array of
   * {"key": "...", "version": N} written to `out` (no values). */
  ah_status (*secret_list)(void *host, ah_str prefix, ah_sink *out);

  /* Deletes a secret if its version equals `expected_version` (AH_VERSION_ANY: any).
   * AH_NOT_FOUND when absent, AH_CONFLICT on a version mismatch. */
  ah_status (*secret_delete)(void *host, ah_str key, uint64_t expected_version, ah_sink *error);

  /* Wall-clock time in milliseconds since the Unix epoch, as the host sees it (a test
   * host may offset it). Plugins use it for every expiry and age decision. */
  int64_t (*now_ms)(void *host);

  /* ABI 1.1. Several compare-and-set writes committed in ONE store transaction (one
   * durable commit instead of one per write). Each item is its own compare-and-set with
   * exactly secret_put's rules, applied in array order (a key given twice sees the
   * earlier item's write), and gets its own result: `status` AH_OK with `new_version`
   * the version written, AH_CONFLICT with `new_version` the version stored now (that
   * item is not written, the others still are), or AH_INVALID_INPUT for a bad key (not
   * written, `new_version` 0). The call returns AH_OK when the transaction committed;
   * any other status (the store failed, e.g. AH_RETRY_LATER while another process holds
   * it) means nothing at all was written, every item's `status` is set to that status
   * and `error` (may be NULL) receives the error body. `count` 0 is AH_OK.
   * A plugin uses this only when AH_HAS_FIELD(host, ah_host_services, secret_put_many)
   * and the pointer is not NULL; otherwise it falls back to one secret_put per item
   * (each then commits on its own). */
  ah_status (*secret_put_many)(void *host, ah_secret_write *writes, size_t count, ah_sink *error);
} ah_host_services;

/* Per-call information. Lives for the duration of one invoke/run_job call. */
typedef struct ah_call_context {
  uint32_t struct_size;
  uint32_t reserved;
  /* Stable across retries of the same logical operation (a scheduled run's id). Empty
   * means "no idempotency": the plugin must not resume anything on its behalf. */
  ah_str idempotency_key;
  /* The account the call acts for; empty means the plugin's default account. */
  ah_str account;
  /* Absolute deadline in host milliseconds (now_ms scale); 0 means none. */
  int64_t deadline_ms;
  /* Returns non-zero once the host wants the call to stop at the next safe point. May be
   * called from any thread (plugins poll it from their I/O threads); must not block. */
  int (*is_cancelled)(void *cancel_ctx);
  void *cancel_ctx;
  /* Optional progress events, one JSON object per write (e.g. container status while
   * a post is processing). `progress.write` may be NULL. */
  ah_sink progress;
} ah_call_context;

/* Opaque plugin instance. */
typedef struct ah_instance ah_instance;

typedef struct ah_plugin {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  /* Sizes of the other structs as the plugin was compiled; the host checks them. */
  uint32_t host_services_size;
  uint32_t call_context_size;

  const char *name;          /* NUL-terminated, e.g. "threads" */
  const char *version;       /* NUL-terminated, semantic version */
  const char *manifest_json; /* NUL-terminated JSON: see README "Manifest" */

  /* Creates an instance. `config_json` is a JSON object text (may be empty). On failure
   * returns non-OK, leaves `*out` NULL and writes an error body to `error`. */
  ah_status (*create)(const ah_host_services *host, ah_str config_json, ah_instance **out,
                      ah_sink *error);

  /* Runs an action. On AH_OK writes the result JSON to `out`; otherwise an error body. */
  ah_status (*invoke)(ah_instance *instance, ah_str action, ah_str input_json,
                      const ah_call_context *ctx, ah_sink *out);

  /* Runs a job named in the manifest. On AH_OK writes the job's report JSON to `out`. */
  ah_status (*run_job)(ah_instance *instance, ah_str job, const ah_call_context *ctx, ah_sink *out);

  /* Destroys an instance; joins everything it started. NULL is ignored. */
  void (*destroy)(ah_instance *instance);
} ah_plugin;

/* The one exported function's type. */
typedef const ah_plugin *(*ah_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* AUTOHOST_ABI_H */
