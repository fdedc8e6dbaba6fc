// Header-only helpers for hosts: load a plugin with Boost.DLL, check its ABI, own instances.
#pragma once

#if !defined(BOOST_DLL_USE_STD_FS)
#error "define BOOST_DLL_USE_STD_FS (pkg-config --cflags autohost adds it)"
#endif

#include <autohost/abi.h>
#include <autohost/plugin.hpp>
#include <autohost/result.hpp>

#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace autohost {

enum class LoadFailure {
  missing_file,        // the path does not exist or is not a regular file
  not_a_shared_object, // no ELF header
  cannot_load,         // dlopen refused it (missing dependency, wrong architecture, ...)
  no_entry_symbol,     // a shared object, but not an autohost plugin
  abi_mismatch,        // built for another ABI major
  bad_table,           // the entry returned a table that is too small or incomplete
  untrusted,           // the host refused to load it (who may write it, a pinned digest)
};

struct LoadError {
  LoadFailure kind;
  std::string message; // names the file and the reason
};

// A loaded plugin file and its function table. Shared by every instance made from it, so
// the library stays mapped until the last instance is gone.
class Library {
public:
  static Result<std::shared_ptr<const Library>, LoadError> open(const std::filesystem::path &file) {
    namespace fs = std::filesystem;
    const std::string shown = file.string();
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      return LoadError{LoadFailure::missing_file, fs::exists(file, ec)
                                                      ? "plugin " + shown + " is not a regular file"
                                                      : "plugin " + shown + " does not exist"};
    }
    if (const std::string why = elf_problem(file); !why.empty()) {
      return LoadError{LoadFailure::not_a_shared_object, "plugin " + shown + " " + why};
    }
    auto lib = std::shared_ptr<Library>(new Library());
    lib->path_ = fs::absolute(file, ec);
    if (ec)
      lib->path_ = file;
    boost::dll::fs::error_code load_ec;
    lib->lib_.load(lib->path_, load_ec,
                   boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (load_ec) {
      const char *why = dlerror();
      return LoadError{LoadFailure::cannot_load, "plugin " + shown + " cannot be loaded: " +
                                                     (why != nullptr ? why : load_ec.message())};
    }
    if (!lib->lib_.has(AH_ENTRY_SYMBOL)) {
      return LoadError{LoadFailure::no_entry_symbol, "plugin " + shown +
                                                         " is not an autohost plugin (no " +
                                                         AH_ENTRY_SYMBOL + " symbol)"};
    }
    const auto entry = lib->lib_.get<const ah_plugin *()>(AH_ENTRY_SYMBOL);
    const ah_plugin *table = entry();
    if (table == nullptr) {
      return LoadError{LoadFailure::bad_table, "plugin " + shown + ": entry returned no table"};
    }
    // Only abi_major is read before the size is known to cover it: it sits at a fixed
    // offset in every ABI version.
    if (table->abi_major != AH_ABI_MAJOR) {
      return LoadError{LoadFailure::abi_mismatch,
                       "plugin " + shown + " was built for plugin ABI " +
                           std::to_string(table->abi_major) + "." +
                           std::to_string(table->abi_minor) + ", this host speaks ABI " +
                           std::to_string(AH_ABI_MAJOR) + "." + std::to_string(AH_ABI_MINOR) +
                           "; rebuild the plugin against a matching autohost"};
    }
    if (!AH_HAS_FIELD(table, ah_plugin, destroy) || table->name == nullptr ||
        table->version == nullptr || table->manifest_json == nullptr || table->create == nullptr ||
        table->invoke == nullptr || table->run_job == nullptr || table->destroy == nullptr) {
      return LoadError{LoadFailure::bad_table,
                       "plugin " + shown + " has an incomplete function table (struct_size " +
                           std::to_string(table->struct_size) + ")"};
    }
    if (table->host_services_size < offsetof(ah_host_services, now_ms) + sizeof(void *) ||
        table->call_context_size < offsetof(ah_call_context, progress) + sizeof(ah_sink)) {
      return LoadError{LoadFailure::bad_table,
                       "plugin " + shown + " declares struct sizes smaller than ABI 1.0"};
    }
    lib->table_ = table;
    return std::shared_ptr<const Library>(std::move(lib));
  }

  const ah_plugin &table() const noexcept { return *table_; }
  const std::filesystem::path &path() const noexcept { return path_; }
  std::string_view name() const noexcept { return table_->name; }
  std::string_view version() const noexcept { return table_->version; }
  std::string_view manifest_json() const noexcept { return table_->manifest_json; }

private:
  Library() = default;

  // Checks what dlopen would otherwise trip over: it maps segments without checking the
  // file size, so a truncated plugin would crash the host with SIGBUS. Empty when sound.
  static std::string elf_problem(const std::filesystem::path &file) {
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    const auto size = static_cast<std::uint64_t>(in.tellg());
    in.seekg(0);
    ElfW(Ehdr) header{};
    if (!in.read(reinterpret_cast<char *>(&header), sizeof header) ||
        std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
      return "is not a shared object (no ELF header)";
    }
    if (header.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32)) {
      return "is not a shared object for this architecture (wrong ELF class)";
    }
    if (header.e_type != ET_DYN)
      return "is not a shared object (ELF type is not ET_DYN)";
    if (header.e_phentsize != sizeof(ElfW(Phdr)) ||
        header.e_phoff + std::uint64_t{header.e_phnum} * sizeof(ElfW(Phdr)) > size) {
      return "is truncated or corrupt (program headers lie past the end of the file)";
    }
    in.seekg(static_cast<std::streamoff>(header.e_phoff));
    for (unsigned i = 0; i < header.e_phnum; ++i) {
      ElfW(Phdr) ph{};
      if (!in.read(reinterpret_cast<char *>(&ph), sizeof ph))
        return "cannot be read";
      if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > size) {
        return "is truncated or corrupt (a segment lies past the end of the file)";
      }
    }
    return {};
  }

  boost::dll::shared_library lib_;
  const ah_plugin *table_ = nullptr;
  std::filesystem::path path_;
};

// Per-call options; every view must outlive the call.
struct CallOptions {
  std::string_view idempotency_key;
  std::string_view account;
  std::int64_t deadline_ms = 0;
  int (*is_cancelled)(void *) = nullptr;
  void *cancel_ctx = nullptr;
  ah_sink progress{nullptr, nullptr};
};

// One plugin instance. Move-only; destroying it calls the plugin's destroy.
class Instance {
public:
  // `services` must stay valid for the instance's whole life.
  static Result<Instance> create(std::shared_ptr<const Library> library,
                                 const ah_host_services *services,
                                 std::string_view config_json = {}) {
    StringSink error;
    ah_instance *raw = nullptr;
    const ah_status st = library->table().create(services, to_ah(config_json), &raw, &error.sink);
    if (st != AH_OK || raw == nullptr) {
      if (raw != nullptr)
        library->table().destroy(raw);
      return Error{st == AH_OK ? AH_INTERNAL : st,
                   error.text.empty() ? Error::make(AH_INTERNAL, "create failed").body
                                      : std::move(error.text)};
    }
    return Instance(std::move(library), raw);
  }

  Instance(Instance &&other) noexcept
      : library_(std::move(other.library_)), instance_(std::exchange(other.instance_, nullptr)) {}
  Instance &operator=(Instance &&other) noexcept {
    if (this != &other) {
      reset();
      library_ = std::move(other.library_);
      instance_ = std::exchange(other.instance_, nullptr);
    }
    return *this;
  }
  Instance(const Instance &) = delete;
  Instance &operator=(const Instance &) = delete;
  ~Instance() { reset(); }

  Result<std::string> invoke(std::string_view action, std::string_view input_json,
                             const CallOptions &options = {}) const {
    const ah_call_context ctx = context(options);
    StringSink out;
    const ah_status st =
        library_->table().invoke(instance_, to_ah(action), to_ah(input_json), &ctx, &out.sink);
    return finish(st, std::move(out.text));
  }

  Result<std::string> run_job(std::string_view job, const CallOptions &options = {}) const {
    const ah_call_context ctx = context(options);
    StringSink out;
    const ah_status st = library_->table().run_job(instance_, to_ah(job), &ctx, &out.sink);
    return finish(st, std::move(out.text));
  }

  const Library &library() const noexcept { return *library_; }

private:
  Instance(std::shared_ptr<const Library> library, ah_instance *instance)
      : library_(std::move(library)), instance_(instance) {}

  void reset() noexcept {
    if (instance_ != nullptr)
      library_->table().destroy(instance_);
    instance_ = nullptr;
  }

  static ah_call_context context(const CallOptions &o) noexcept {
    ah_call_context ctx{};
    ctx.struct_size = sizeof(ah_call_context);
    ctx.idempotency_key = to_ah(o.idempotency_key);
    ctx.account = to_ah(o.account);
    ctx.deadline_ms = o.deadline_ms;
    ctx.is_cancelled = o.is_cancelled;
    ctx.cancel_ctx = o.cancel_ctx;
    ctx.progress = o.progress;
    return ctx;
  }

  static Result<std::string> finish(ah_status st, std::string text) {
    if (st == AH_OK)
      return text;
    if (text.empty())
      text = Error::make(st, "the plugin gave no error body").body;
    return Error{st, std::move(text)};
  }

  // Declared first so it is destroyed last: the code of `instance_` stays mapped.
  std::shared_ptr<const Library> library_;
  ah_instance *instance_ = nullptr;
};

} // namespace autohost
