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
 *   struct it got is large enough to hold it (see AH_HAS_FIELD), so every 1.x plugin
 *   works with every 1.x host, older or newer. History: 1.0 is the first; 1.1 appended
 *   ah_host_services.secret_put_many (batched compare-and-set); 1.2 appended
 *   ah_host_services.log_level, pinned ah_secret_write.status to int32_t (same layout)
 *   and wrote down the rules below that 1.0 and 1.1 left unstated; secret namespaces
 *   were added to them later in 1.2 (documentation, no layout change); 1.3 appended
 *   ah_host_services.count (a plugin's own counters, for the host's metrics); 1.4 appended
 *   ah_host_services.secret_version (a secret's version without its value); 1.5 appended
 *   ah_host_services.secret_get_many (several reads in one store transaction).
 *
 * Discovery. A plugin exports exactly one function, `autohost_plugin_entry` (the name is
 *   AH_ENTRY_SYMBOL), returning a pointer to a static, immutable ah_plugin table. The host
 *   reads abi_major and struct_size before calling anything else.
 *
 * Data. Strings cross as {pointer, length} UTF-8 (not NUL-terminated unless stated).
 *   Structured data crosses as JSON text. Pointers passed into a call are borrowed for
 *   the duration of that call only. Results are written into a sink the caller owns, so
 *   no side ever frees memory the other allocated. Enumerations are int-sized (the
 *   static assertions below refuse a compiler that makes them smaller, e.g. with
 *   -fshort-enums); a status stored in a struct is an int32_t holding an ah_status value.
 *
 * Errors. Every function returns an ah_status; nothing unwinds across the seam (a C++
 *   plugin catches everything). When a call fails, the sink receives a JSON error body:
 *   {"code": "...", "message": "...", and optionally "field", "retry_after_s",
 *   "threads_code", "threads_subcode", "fbtrace_id", "hint"}. The status is the contract
 *   (what the caller should do); `code` is free text that refines it for people and logs
 *   ("invalid_key", "deadline_exceeded", a plugin's own words). A caller never decides
 *   anything from `code` alone, and a body that is not JSON is treated as a message.
 *
 * Cancellation and deadlines. A call stops at its next safe point once
 *   ah_call_context.is_cancelled returns non-zero or the host clock (now_ms) reaches
 *   deadline_ms; both are the caller's decision to stop, so both end the call with
 *   AH_CANCELLED (code "cancelled" or "deadline_exceeded"), and a repeated call with the
 *   same idempotency key resumes the work. AH_RETRY_LATER is for conditions outside the
 *   caller's control (the network, the remote service, a budget the plugin sets itself).
 *   `is_cancelled` may be NULL: the call is then never cancelled that way.
 *
 * Secret keys. A key is 1-256 bytes of ASCII letters, digits and . _ : / @ + -, not
 *   starting with '/'. Every secret function refuses any other key with AH_INVALID_INPUT
 *   and an error body whose message names the key (the reference host's code is
 *   "invalid_key"), and changes nothing; in secret_put_many that is the item's status, and
 *   the other items still run.
 *
 * Secret namespaces. A plugin's keys are those under "<plugin name>/", its namespace (the
 *   `name` of its ah_plugin table). A host gives each plugin instance a services table of
 *   its own and confines it to that namespace plus the namespaces its operator granted
 *   (read and write, or read only); plugins share secrets only through such a grant. A
 *   key the plugin may not use is refused like a bad key: AH_INVALID_INPUT, the message
 *   naming the key (the reference host's code is "outside_namespace"), nothing changed,
 *   the same answer whether or not the key exists, and in secret_put_many that item's
 *   status. AH_INVALID_INPUT because the caller named a key it must not use and the same
 *   call fails again (AH_AUTH_REQUIRED would send the user to re-authorise an account;
 *   AH_NOT_FOUND would invite a write that is refused too). secret_list returns only keys
 *   the plugin may read, whatever the prefix (a prefix outside lists nothing). A name
 *   that cannot be a namespace (empty, or holding anything but letters, digits, _ and -;
 *   a '/' would reach inside another plugin's namespace) gets no namespace. A host's own
 *   operator tools are not plugins and are not confined.
 *
 * Secret versions. Each key has a version counter, the same for every reader:
 *   - A key that does not exist has version 0; its first write gets version 1.
 *   - Each successful put or delete makes the version larger (the reference store adds
 *     1); a version number is never given to a key twice.
 *   - secret_put is a compare-and-set: it writes only when the stored version equals
 *     `expected_version` (0: the key must not exist; AH_VERSION_ANY: any). Otherwise it
 *     returns AH_CONFLICT, changes nothing, and reports the version stored now (0 when
 *     the key does not exist).
 *   - secret_delete with a version that does not match is AH_CONFLICT and changes
 *     nothing; on an absent key it is AH_NOT_FOUND. A delete keeps the counter: a later
 *     write expecting 0 gets a version above every version the key had, so a stale
 *     writer that still holds an old version can never overwrite the new value.
 *   - secret_get and secret_list do not see deleted keys.
 *   - A value may be empty: an empty value is stored, read and versioned like any other
 *     (it is not a deletion).
 *   tests/conformance/ is a plugin that checks these rules against any host's table.
 *
 * Idempotency keys. ah_call_context.idempotency_key is empty (no idempotency) or 1-128
 *   bytes of ASCII letters, digits and . _ : @ + - (AH_IDEMPOTENCY_KEY_MAX;
 *   autohost/idempotency_key.hpp checks it). A host never passes another key; a plugin
 *   refuses one with AH_INVALID_INPUT naming it.
 *
 * Threading. `create` and `destroy` are called once per instance, never concurrently with
 *   any other call on that instance. `invoke` and `run_job` may be called concurrently
 *   from several host threads on one instance; the plugin synchronises its own state.
 *   Host services may be called from any thread, including threads the plugin started.
 *   The sinks of a call (`out`, `error`, `ctx->progress`) may be written from any thread
 *   the plugin uses, one write at a time (never concurrently) and only until the call
 *   returns; a host's sink callbacks must therefore not rely on the calling thread.
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
#define AH_ABI_MINOR 5
#define AH_ENTRY_SYMBOL "autohost_plugin_entry"

/* The longest idempotency key (see "Idempotency keys" above). */
#define AH_IDEMPOTENCY_KEY_MAX 128

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
  AH_CANCELLED = 7,     /* the caller cancelled the call or its deadline passed */
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
  int32_t status;       /* out: an ah_status: AH_OK, AH_CONFLICT or AH_INVALID_INPUT (see
                           secret_put_many); int32_t since 1.2, the layout 1.1 had */
  uint64_t new_version; /* out: the version written (AH_OK) or stored now (AH_CONFLICT) */
} ah_secret_write;

/*
 * One item of a batched read (secret_get_many, ABI 1.5). The caller fills `key` and
 * `value` (its own sink, as secret_get's); the host fills `status` and `version` and writes
 * the value, or an error body, to `value`. Laid out as a plain array like ah_secret_write,
 * so it has no struct_size and never grows.
 */
typedef struct ah_secret_read {
  ah_str key;
  ah_sink value;     /* receives the plaintext on AH_OK, an error body on a failure */
  uint64_t version;  /* out: the version read (AH_OK), else 0 */
  int32_t status;    /* out: an ah_status: AH_OK, AH_NOT_FOUND, or secret_get's failures */
  uint32_t reserved; /* 0 */
} ah_secret_read;

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

  /* Lists secrets whose key starts with `prefix` and that the plugin may read (see
   * "Secret namespaces"), as a JSON array of {"key": "...", "version": N} written to
   * `out` (no values). */
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

  /* ABI 1.2. The lowest ah_log_level the host writes; `log` drops anything below it, so a
   * plugin skips building those events at all. It does not change while an instance
   * lives. A plugin reads it only when AH_HAS_FIELD(host, ah_host_services, log_level);
   * with an older host it logs as before (every level). */
  int32_t log_level;
  uint32_t reserved_1_2; /* 0; keeps the size the same on every platform */

  /* ABI 1.3. Adds `delta` to the plugin's counter `name` for the label set `labels_json`,
   * for the host's metrics (the reference host serves them as the Prometheus counter
   * autohost_plugin_<name>_total with a `plugin` label added). `name` and each label name
   * are 1-64 bytes of lower-case ASCII letters, digits and '_', starting with a letter;
   * `labels_json` is empty or a JSON object of at most 4 members whose values are strings
   * of at most 64 bytes ("plugin" is the host's own label and may not be used). A host
   * drops a call that breaks these rules (the reference host logs one warning per counter
   * name) and may drop new label sets beyond a limit of its own (the reference host keeps
   * 1000 per plugin): label values must come from a small, fixed set (an HTTP status, an
   * error code), never from ids, names or free text. Never blocks for long; callable
   * from any thread. NULL when the host keeps no counters (e.g. a one-off command): a
   * plugin then skips building them. A plugin uses it only when
   * AH_HAS_FIELD(host, ah_host_services, count) and the pointer is not NULL. */
  void (*count)(void *host, ah_str name, ah_str labels_json, uint64_t delta);

  /* ABI 1.4. The version secret_get would report for `key` now, without its value: AH_OK
   * with `*version`, or AH_NOT_FOUND with `*version` 0 when the key does not exist (or was
   * deleted). Like secret_get it sees every write that finished before it began, and it
   * refuses the same keys (AH_INVALID_INPUT); failures write an error body to `error` (may
   * be NULL). Since a version is never given to a key twice, a plugin that keeps a value
   * it read with secret_get may use it again while this reports the same version, and so
   * skip the value's decryption and its own parsing. A host answers it from memory when it
   * can (the reference host: from the rows its SQLite store keeps), so it is worth calling
   * only for a value the plugin already holds. A plugin uses it only when
   * AH_HAS_FIELD(host, ah_host_services, secret_version) and the pointer is not NULL. */
  ah_status (*secret_version)(void *host, ah_str key, uint64_t *version, ah_sink *error);

  /* ABI 1.5. Several secret_gets in ONE store read transaction (a host whose reads each
   * cost a transaction, as the reference host's SQLite store does, answers many keys for
   * about the price of one). Each item gets exactly secret_get's answer for its key:
   * `status` AH_OK with the value written to its `value` sink and `version` set,
   * AH_NOT_FOUND, or a failure for that key alone (a bad or forbidden key, a value that
   * cannot be decrypted) with an error body in its `value` sink; like secret_get, every
   * value reflects every write that finished before the call began. The call returns AH_OK
   * when the store was read; any other status means no item was answered: every item's
   * `status` is set to that status and `error` (may be NULL) receives the error body.
   * `count` 0 is AH_OK. A plugin uses it only when
   * AH_HAS_FIELD(host, ah_host_services, secret_get_many) and the pointer is not NULL;
   * otherwise it calls secret_get once per key. */
  ah_status (*secret_get_many)(void *host, ah_secret_read *reads, size_t count, ah_sink *error);
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
   * called from any thread (plugins poll it from their I/O threads); must not block.
   * May be NULL: the call is not cancelled that way (the deadline still applies). */
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

/* The layout is part of the ABI: these fail to compile rather than let a compiler setting
 * move a field. Offsets are checked on LP64 (x86-64, aarch64), where hosts are tested. */
#ifdef __cplusplus
#define AH_STATIC_ASSERT(cond, why) static_assert(cond, why)
#else
#define AH_STATIC_ASSERT(cond, why) _Static_assert(cond, why)
#endif
AH_STATIC_ASSERT(sizeof(ah_status) == sizeof(int32_t), "ah_status must be int-sized");
AH_STATIC_ASSERT(sizeof(ah_log_level) == sizeof(int32_t), "ah_log_level must be int-sized");
#if UINTPTR_MAX == UINT64_MAX
AH_STATIC_ASSERT(offsetof(ah_secret_write, expected_version) == 32 &&
                     offsetof(ah_secret_write, status) == 40 &&
                     offsetof(ah_secret_write, new_version) == 48 && sizeof(ah_secret_write) == 56,
                 "ah_secret_write keeps its 1.1 layout");
AH_STATIC_ASSERT(offsetof(ah_secret_read, value) == 16 && offsetof(ah_secret_read, version) == 32 &&
                     offsetof(ah_secret_read, status) == 40 && sizeof(ah_secret_read) == 48,
                 "ah_secret_read keeps its 1.5 layout");
AH_STATIC_ASSERT(offsetof(ah_host_services, now_ms) == 56 &&
                     offsetof(ah_host_services, secret_put_many) == 64 &&
                     offsetof(ah_host_services, log_level) == 72 &&
                     offsetof(ah_host_services, count) == 80 &&
                     offsetof(ah_host_services, secret_version) == 88 &&
                     offsetof(ah_host_services, secret_get_many) == 96 &&
                     sizeof(ah_host_services) == 104,
                 "ah_host_services only grows at its end");
AH_STATIC_ASSERT(offsetof(ah_call_context, progress) == 64 && sizeof(ah_call_context) == 80,
                 "ah_call_context keeps its 1.0 layout");
AH_STATIC_ASSERT(offsetof(ah_plugin, destroy) == 64 && sizeof(ah_plugin) == 72,
                 "ah_plugin keeps its 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif

#endif /* AUTOHOST_ABI_H */
