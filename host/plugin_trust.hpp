// Decides whether a plugin file may be loaded at all, before dlopen runs any of its code.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace autohost::host {

// dlopen runs a file's constructors before any check the loader makes, so a plugin is code
// the host runs as itself. Like ssh's StrictModes, a file is refused when anyone but root
// and the running user could have changed it: the file and every directory above it (the
// path as named and the path its symlinks resolve to) must be owned by root or the running
// user and not writable by group or others. Two exceptions, both of which let nobody else
// replace the file: a directory with the sticky bit (/tmp) may be writable by others, and
// group write is fine when the group is the owner's own private group (Debian's user
// groups, umask 002) with no other members. `path` may be a file or a directory. A path that does
// not exist is not refused here; the loader reports it. The message names the path and the command
// that fixes it.
std::optional<std::string> trust_problem(const std::filesystem::path &path);

// The SHA-256 of a file's bytes as 64 lowercase hex digits; nullopt when it cannot be read.
std::optional<std::string> file_sha256(const std::filesystem::path &file);

// Plugin name -> the SHA-256 (64 lowercase hex digits) its file must have.
using PluginPins = std::map<std::string, std::string, std::less<>>;

} // namespace autohost::host
