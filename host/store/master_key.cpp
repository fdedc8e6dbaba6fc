// Finding, parsing and creating the master key that encrypts the secret store.
#include "store/master_key.hpp"

#include "errors.hpp"
#include "store/store_files.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace autohost::store {
namespace fs = std::filesystem;
using host::make_error;

namespace {

// The key from its text (64 hex digits or base64), read in place: no copy of it is made.
std::optional<MasterKey> parse_key(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  MasterKey key;
  size_t written = 0;
  if (text.size() == 2 * master_key_bytes &&
      sodium_hex2bin(key.data(), key.size(), text.data(), text.size(), nullptr, &written,
                     nullptr) == 0 &&
      written == master_key_bytes) {
    return key;
  }
  for (int variant :
       {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_URLSAFE,
        sodium_base64_VARIANT_ORIGINAL_NO_PADDING, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    if (sodium_base642bin(key.data(), key.size(), text.data(), text.size(), nullptr, &written,
                          nullptr, variant) == 0 &&
        written == master_key_bytes) {
      return key;
    }
  }
  return std::nullopt;
}

Error key_error(std::string_view message) { return make_error(AH_INTERNAL, "master_key", message); }

Result<MasterKey> read_key_file(const fs::path &file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return key_error("cannot read master key file " + file.string() + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return key_error("master key file " + file.string() + " is accessible by other users (mode " +
                     mode + "); run: chmod 600 " + file.string());
  }
  // Read with read(2) into guarded memory: a stream would leave the key in its buffer.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  SecureBuffer text(256);
  ssize_t got = fd < 0 ? -1 : ::read(fd, text.data(), text.size());
  if (fd >= 0)
    ::close(fd);
  if (got < 0)
    return key_error("cannot read master key file " + file.string() + ": " + std::strerror(errno));
  text.shrink(static_cast<size_t>(got));
  auto key = parse_key(text.view());
  if (!key) {
    return key_error("master key file " + file.string() +
                     " does not hold a key (expected 64 hex digits)");
  }
  return std::move(*key);
}

// Writes a fresh key to a private temporary file and links it into place, so a process
// racing us either wins or reads our complete file; never a half-written one.
Result<MasterKey> create_key_file(const fs::path &file) {
  if (file.has_parent_path())
    AH_TRY(make_private_dirs(file.parent_path()));
  MasterKey key;
  randombytes_buf(key.data(), key.size());
  SecureBuffer line(2 * master_key_bytes + 2); // the hex digits, '\n', sodium's NUL
  sodium_bin2hex(reinterpret_cast<char *>(line.data()), line.size() - 1, key.data(), key.size());
  line.data()[2 * master_key_bytes] = '\n';
  line.shrink(2 * master_key_bytes + 1);
  const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return key_error("cannot create master key file " + file.string() + ": " +
                     std::strerror(errno));
  }
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return key_error("cannot write master key file " + file.string());
  }
  const int linked = ::link(tmp.c_str(), file.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST)
      return read_key_file(file); // another process won the race
    return key_error("cannot create master key file " + file.string() + ": " +
                     std::strerror(link_errno));
  }
  return key;
}

} // namespace

Result<MasterKey> load_master_key(const KeySource &source, KeyCreation creation) {
  if (source.env_value) {
    auto key = parse_key(*source.env_value);
    if (!key) {
      return key_error("AUTOHOST_MASTER_KEY must be 32 bytes written as 64 hex digits or base64");
    }
    return std::move(*key);
  }
  std::error_code ec;
  if (fs::exists(source.key_file, ec))
    return read_key_file(source.key_file);
  if (creation == KeyCreation::forbidden) {
    return key_error("master key file " + source.key_file.string() +
                     " is missing and the store already exists; restore the file or set "
                     "AUTOHOST_MASTER_KEY to the key the store was created with");
  }
  return create_key_file(source.key_file);
}

} // namespace autohost::store
