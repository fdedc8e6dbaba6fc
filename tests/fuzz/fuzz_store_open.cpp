// libFuzzer harness: opening a store file holding arbitrary bytes. It must end in a clean
// error or a working store (what is written reads back, or the read fails cleanly).
#include "fuzz_check.hpp"
#include "store/sql_secret_store.hpp"

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using autohost::store::SqlSecretStore;

fs::path prepare() {
  char dir[] = "/tmp/autohost-fuzz-store-XXXXXX";
  if (mkdtemp(dir) == nullptr)
    fuzz::fail("mkdtemp failed");
  return fs::path(dir) / "store.db";
}

void remove_store(const fs::path &file) {
  std::error_code ec;
  for (const char *suffix : {"", "-wal", "-shm", "-journal"})
    fs::remove(file.string() + suffix, ec);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static const fs::path file = prepare();
  remove_store(file);
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  }
  autohost::store::SecretStoreOptions options;
  options.location = file.string();
  options.key.env_value = std::string(64, 'a');
  options.busy_timeout_ms = 100;
  auto store = SqlSecretStore::open(options);
  if (!store) {
    fuzz::require_clean_error(store.error(), "SqlSecretStore::open");
    remove_store(file);
    return 0;
  }
  auto &s = **store;
  if (auto listed = s.list(""); !listed)
    fuzz::require_clean_error(listed.error(), "list");
  if (auto got = s.get("fuzz/old"); !got)
    fuzz::require_clean_error(got.error(), "get");
  auto written = s.put("fuzz/new", "value", AH_VERSION_ANY);
  if (!written) {
    fuzz::require_clean_error(written.error(), "put");
  } else if (auto got = s.get("fuzz/new"); !got) {
    // A file SQLite takes for sound can still be corrupt where the write landed (an index
    // missing rows): the read must then say so, never answer with nothing or another value.
    fuzz::require_clean_error(got.error(), "get after put");
  } else {
    fuzz::require(got->has_value() && (*got)->value == "value" &&
                      (*got)->version == written->version,
                  "a written secret does not read back");
  }
  store->reset();
  remove_store(file);
  return 0;
}
