/* A minimal third-party host in plain C: dlopen, check the ABI, create, invoke, destroy.
 * Build: cc -std=c11 $(pkg-config --cflags autohost) minimal_host.c $(pkg-config --libs autohost)
 */
#define _POSIX_C_SOURCE 200809L
#include <autohost/abi.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A growing buffer the plugin writes results into. */
typedef struct buffer {
  char *data;
  size_t len;
} buffer;

static void append(void *ctx, const char *data, size_t len) {
  buffer *b = ctx;
  char *grown = realloc(b->data, b->len + len + 1);
  if (grown == NULL)
    return;
  memcpy(grown + b->len, data, len);
  b->data = grown;
  b->len += len;
  b->data[b->len] = '\0';
}

/* This host keeps no secrets: reads find nothing, writes are refused. */
static void log_line(void *host, ah_log_level level, ah_str msg, ah_str fields) {
  (void)host;
  (void)fields;
  fprintf(stderr, "[plugin log %d] %.*s\n", (int)level, (int)msg.len, msg.ptr);
}
static ah_status secret_get(void *h, ah_str k, ah_sink *v, uint64_t *ver) {
  (void)h;
  (void)k;
  (void)v;
  (void)ver;
  return AH_NOT_FOUND;
}
static ah_status secret_put(void *h, ah_str k, ah_str v, uint64_t e, uint64_t *n, ah_sink *err) {
  (void)h;
  (void)k;
  (void)v;
  (void)e;
  (void)n;
  (void)err;
  return AH_INTERNAL;
}
static ah_status secret_list(void *h, ah_str prefix, ah_sink *out) {
  (void)h;
  (void)prefix;
  out->write(out->ctx, "[]", 2);
  return AH_OK;
}
static ah_status secret_delete(void *h, ah_str k, uint64_t e, ah_sink *err) {
  (void)h;
  (void)k;
  (void)e;
  (void)err;
  return AH_NOT_FOUND;
}
static ah_status secret_put_many(void *h, ah_secret_write *writes, size_t count, ah_sink *err) {
  size_t i;
  (void)h;
  (void)err;
  for (i = 0; i < count; i++)
    writes[i].status = AH_INTERNAL; /* nothing is written */
  return count == 0 ? AH_OK : AH_INTERNAL;
}
static int64_t now_ms(void *h) {
  struct timespec ts;
  (void)h;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: minimal_host_c PLUGIN_FILE ACTION [INPUT_JSON]\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
    return 1;
  }
  ah_entry_fn entry;
  *(void **)(&entry) = dlsym(lib, AH_ENTRY_SYMBOL);
  const ah_plugin *p = entry != NULL ? entry() : NULL;
  if (p == NULL || p->abi_major != AH_ABI_MAJOR || !AH_HAS_FIELD(p, ah_plugin, destroy)) {
    fprintf(stderr, "%s is not a plugin for ABI %d\n", argv[1], AH_ABI_MAJOR);
    dlclose(lib);
    return 1;
  }
  printf("loaded %s %s\nmanifest: %s\n", p->name, p->version, p->manifest_json);

  const ah_host_services services = {sizeof services,
                                     AH_ABI_MINOR,
                                     NULL,
                                     log_line,
                                     secret_get,
                                     secret_put,
                                     secret_list,
                                     secret_delete,
                                     now_ms,
                                     secret_put_many,
                                     AH_LOG_DEBUG /* it prints every line */,
                                     0,
                                     NULL /* count: it keeps no counters */,
                                     NULL /* secret_version: plugins read every time */,
                                     NULL /* secret_get_many: one secret_get a key */};
  buffer out = {NULL, 0};
  ah_sink sink = {&out, append};
  ah_instance *instance = NULL;
  ah_str config = {"{}", 2};
  ah_status st = p->create(&services, config, &instance, &sink);
  if (st == AH_OK) {
    free(out.data);
    out.data = NULL;
    out.len = 0;
    const char *input = argc > 3 ? argv[3] : "{}";
    ah_call_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.struct_size = sizeof ctx;
    ah_str action = {argv[2], strlen(argv[2])};
    ah_str in = {input, strlen(input)};
    st = p->invoke(instance, action, in, &ctx, &sink);
    p->destroy(instance);
  }
  printf("%s: %s\n", st == AH_OK ? "result" : "error", out.data != NULL ? out.data : "");
  free(out.data);
  dlclose(lib);
  return st == AH_OK ? 0 : 1;
}
