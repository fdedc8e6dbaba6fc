// Owner and mode checks of plugin files and their directories, and their SHA-256 digests.
#include "plugin_trust.hpp"

#include <sodium.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <vector>

namespace autohost::host {
namespace fs = std::filesystem;

namespace {

std::string user_name(uid_t uid) {
  const passwd *pw = ::getpwuid(uid);
  return pw != nullptr ? std::string(pw->pw_name) : "uid " + std::to_string(uid);
}

// True when `gid` is the running user's private group: named like the user, the user's
// primary group, and listing no other member. Only the user can write through it.
bool private_group_of_user(gid_t gid, uid_t uid) {
  const passwd *pw = ::getpwuid(uid);
  if (pw == nullptr || pw->pw_gid != gid)
    return false;
  const std::string name = pw->pw_name;
  const group *gr = ::getgrgid(gid);
  if (gr == nullptr || name != gr->gr_name)
    return false;
  for (char **member = gr->gr_mem; *member != nullptr; ++member) {
    if (name != *member)
      return false;
  }
  return true;
}

std::optional<std::string> check_one(const fs::path &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return std::nullopt; // a missing path is the loader's to report
  const uid_t me = ::geteuid();
  const bool is_file = !S_ISDIR(st.st_mode);
  const std::string what = (is_file ? "plugin file " : "directory ") + path.string();
  const std::string why = " and could be replaced with code that runs inside autohost";
  if (st.st_uid != 0 && st.st_uid != me) {
    return what + " is owned by " + user_name(st.st_uid) + ", not by root or " + user_name(me) +
           why + "; fix: sudo chown " + user_name(me) + " " + path.string() +
           " (or keep plugins only in directories that you or root own)";
  }
  const bool sticky_dir = !is_file && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & S_IWOTH) != 0 && !sticky_dir) {
    return what + " is writable by others" + why + "; fix: chmod o-w " + path.string();
  }
  if ((st.st_mode & S_IWGRP) != 0 && !sticky_dir &&
      !(st.st_uid == me && private_group_of_user(st.st_gid, me))) {
    return what + " is writable by its group" + why + "; fix: chmod g-w " + path.string();
  }
  return std::nullopt;
}

// The path, then each directory above it up to the root.
std::optional<std::string> check_chain(const fs::path &path) {
  for (fs::path p = path; !p.empty(); p = p.parent_path()) {
    if (auto problem = check_one(p))
      return problem;
    if (p == p.root_path())
      break;
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> trust_problem(const fs::path &path) {
  std::error_code ec;
  fs::path named = fs::absolute(path, ec).lexically_normal();
  if (!named.has_filename())
    named = named.parent_path(); // "dir/" names dir
  if (ec)
    return std::nullopt;
  const fs::path resolved = fs::canonical(named, ec);
  if (ec)
    return std::nullopt; // missing: the loader says so
  // The named path's directories decide which file a name leads to; the resolved path's
  // decide what that file holds.
  if (auto problem = check_chain(named))
    return problem;
  if (resolved != named)
    return check_chain(resolved);
  return std::nullopt;
}

std::optional<std::string> file_sha256(const fs::path &file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return std::nullopt;
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<unsigned long long>(in.gcount());
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char *>(buffer.data()), got);
  }
  if (in.bad())
    return std::nullopt;
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256_final(&state, digest.data());
  std::array<char, 2 * crypto_hash_sha256_BYTES + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data());
}

} // namespace autohost::host
