// A minimal third-party host in C++: loads an autohost plugin with Boost.DLL through the
// header-only helpers, prints its manifest and calls one action.
// Build: c++ -std=c++20 $(pkg-config --cflags autohost) minimal_host.cpp $(pkg-config --libs
// autohost)
#include <autohost/host.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

namespace {

// This host keeps no secrets: reads find nothing, writes are refused.
void log(void *, ah_log_level level, ah_str message, ah_str) {
  std::fprintf(stderr, "[plugin log %d] %.*s\n", level, static_cast<int>(message.len), message.ptr);
}
ah_status secret_get(void *, ah_str, ah_sink *, uint64_t *) { return AH_NOT_FOUND; }
ah_status secret_put(void *, ah_str, ah_str, uint64_t, uint64_t *, ah_sink *error) {
  autohost::write_to(error, autohost::Error::make(AH_INTERNAL, "this host stores no secrets").body);
  return AH_INTERNAL;
}
ah_status secret_list(void *, ah_str, ah_sink *out) {
  autohost::write_to(out, "[]");
  return AH_OK;
}
ah_status secret_delete(void *, ah_str, uint64_t, ah_sink *) { return AH_NOT_FOUND; }
ah_status secret_put_many(void *, ah_secret_write *writes, size_t count, ah_sink *error) {
  if (count == 0)
    return AH_OK;
  for (size_t i = 0; i < count; ++i)
    writes[i].status = AH_INTERNAL; // nothing is written
  autohost::write_to(error, autohost::Error::make(AH_INTERNAL, "this host stores no secrets").body);
  return AH_INTERNAL;
}
int64_t now_ms(void *) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::cerr << "usage: minimal_host PLUGIN_FILE ACTION [INPUT_JSON]\n";
    return 2;
  }
  auto library = autohost::Library::open(argv[1]);
  if (!library) {
    std::cerr << library.error().message << "\n";
    return 1;
  }
  std::cout << "loaded " << library.value()->name() << " " << library.value()->version() << "\n"
            << "manifest: " << library.value()->manifest_json() << "\n";

  const ah_host_services services{sizeof(ah_host_services),
                                  AH_ABI_MINOR,
                                  nullptr,
                                  &log,
                                  &secret_get,
                                  &secret_put,
                                  &secret_list,
                                  &secret_delete,
                                  &now_ms,
                                  &secret_put_many,
                                  AH_LOG_DEBUG, // it prints every line it gets
                                  0,
                                  nullptr,  // count: it keeps no counters
                                  nullptr,  // secret_version: plugins read every time
                                  nullptr}; // secret_get_many: one secret_get a key
  auto instance = autohost::Instance::create(library.value(), &services, "{}");
  if (!instance) {
    std::cerr << "create failed: " << instance.error().body << "\n";
    return 1;
  }
  auto result = instance.value().invoke(argv[2], argc > 3 ? argv[3] : "{}");
  if (!result) {
    std::cerr << autohost::status_name(result.error().status) << ": " << result.error().body
              << "\n";
    return 1;
  }
  std::cout << "result: " << result.value() << "\n";
  return 0;
}
