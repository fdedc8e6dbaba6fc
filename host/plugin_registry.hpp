// Finds plugin files in the configured places and loads them through the ABI checks.
#pragma once

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
};

struct BrokenPlugin {
  std::filesystem::path file;
  LoadError error;
};

class PluginRegistry {
public:
  // Loads every candidate; failures are collected, never fatal here.
  static PluginRegistry discover(const PluginSearch &search);

  const std::vector<std::shared_ptr<const Library>> &plugins() const noexcept { return plugins_; }
  const std::vector<BrokenPlugin> &broken() const noexcept { return broken_; }
  const std::vector<std::filesystem::path> &shadowed() const noexcept { return shadowed_; }
  // nullptr when no loaded plugin has that name.
  std::shared_ptr<const Library> find(std::string_view name) const;

private:
  void consider(const std::filesystem::path &file);

  std::vector<std::shared_ptr<const Library>> plugins_;
  std::vector<BrokenPlugin> broken_;
  std::vector<std::filesystem::path> shadowed_;
};

} // namespace autohost::host
