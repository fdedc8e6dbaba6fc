// Finds plugin files in the configured places and loads them through the ABI checks.
#include "plugin_registry.hpp"

#include <algorithm>

namespace autohost::host {
namespace fs = std::filesystem;

void PluginRegistry::consider(const fs::path &file) {
  auto loaded = Library::open(file);
  if (!loaded) {
    broken_.push_back(BrokenPlugin{file, std::move(loaded).error()});
    return;
  }
  if (find(loaded.value()->name()) != nullptr) {
    shadowed_.push_back(file);
    return;
  }
  plugins_.push_back(std::move(loaded).value());
}

PluginRegistry PluginRegistry::discover(const PluginSearch &search) {
  PluginRegistry registry;
  for (const auto &file : search.files)
    registry.consider(file);
  auto scan = [&](const fs::path &dir, bool required) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      if (required) {
        registry.broken_.push_back(
            BrokenPlugin{dir, LoadError{LoadFailure::missing_file,
                                        "plugin directory " + dir.string() + " does not exist"}});
      }
      return;
    }
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".so")
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end()); // deterministic precedence within a directory
    for (const auto &file : files)
      registry.consider(file);
  };
  for (const auto &dir : search.required_dirs)
    scan(dir, true);
  for (const auto &dir : search.optional_dirs)
    scan(dir, false);
  return registry;
}

std::shared_ptr<const Library> PluginRegistry::find(std::string_view name) const {
  for (const auto &plugin : plugins_) {
    if (plugin->name() == name)
      return plugin;
  }
  return nullptr;
}

} // namespace autohost::host
