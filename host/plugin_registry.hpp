// Finds plugin files in the configured places and loads them through the ABI checks.
#pragma once

#include "plugin_trust.hpp"

#include <autohost/host.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace autohost::host {

// Where to look, in priority order: explicit files, then directories. The first plugin
// of a given name wins; later ones with the same name are reported as shadowed.
struct PluginSearch {
  std::vector<std::filesystem::path> files;
  // Directories named by the user must exist; implicit ones (the install dir) may not.
  std::vector<std::filesystem::path> required_dirs;
  std::vector<std::filesystem::path> optional_dirs;
  // Plugins whose file must have this digest; checked before the file is loaded.
  PluginPins pins;
};

struct BrokenPlugin {
  std::filesystem::path file;
  LoadError error;
};

class PluginRegistry {
public:
  // Loads every candidate; failures are collected, never fatal here. Each file passes
  // trust_problem() and its pin, if any, before it is loaded. With `only` set, a directory
  // contributes just the file named `only`.so (explicit files are always loaded), so a
  // broken or hostile file beside it is never run for a command that names one plugin.
  // A file found in a directory must be named after the plugin it holds.
  static PluginRegistry discover(const PluginSearch &search, std::string_view only = {});

  const std::vector<std::shared_ptr<const Library>> &plugins() const noexcept { return plugins_; }
  const std::vector<BrokenPlugin> &broken() const noexcept { return broken_; }
  const std::vector<std::filesystem::path> &shadowed() const noexcept { return shadowed_; }
  // nullptr when no loaded plugin has that name.
  std::shared_ptr<const Library> find(std::string_view name) const;

private:
  void consider(const std::filesystem::path &file, const PluginSearch &search, bool from_dir);
  void scan(const std::filesystem::path &dir, bool required, const PluginSearch &search,
            std::string_view only);
  void refuse(const std::filesystem::path &file, std::string message);

  std::vector<std::shared_ptr<const Library>> plugins_;
  std::vector<BrokenPlugin> broken_;
  std::vector<std::filesystem::path> shadowed_;
};

} // namespace autohost::host
