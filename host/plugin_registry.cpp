// Finds plugin files in the configured places and loads them through the ABI checks.
#include "plugin_registry.hpp"

#include <algorithm>

namespace autohost::host {
namespace fs = std::filesystem;

void PluginRegistry::refuse(const fs::path &file, std::string message) {
  broken_.push_back(BrokenPlugin{file, LoadError{LoadFailure::untrusted, std::move(message)}});
}

void PluginRegistry::consider(const fs::path &file, const PluginSearch &search, bool from_dir) {
  if (auto problem = trust_problem(file)) {
    refuse(file, std::move(*problem));
    return;
  }
  // The pin is found by file name because the plugin's own name is only known after its
  // code has run; the manifest name is checked against it below.
  const std::string stem = file.stem().string();
  if (auto pin = search.pins.find(stem); pin != search.pins.end() && fs::exists(file)) {
    const auto actual = file_sha256(file);
    if (actual != pin->second) {
      refuse(file, "plugin " + file.string() + " does not match its pin (plugin_pins." + stem +
                       "): expected SHA-256 " + pin->second + ", the file has " +
                       actual.value_or("(unreadable)") +
                       "; if you updated the plugin on purpose, pin the new digest "
                       "(sha256sum " +
                       file.string() + ")");
      return;
    }
  }
  auto loaded = Library::open(file);
  if (!loaded) {
    broken_.push_back(BrokenPlugin{file, std::move(loaded).error()});
    return;
  }
  const std::string name(loaded.value()->name());
  if (name != stem && (from_dir || search.pins.count(name) != 0)) {
    refuse(file, "plugin " + file.string() + " holds the plugin '" + name + "' but is named " +
                     file.filename().string() + "; name it " + name + ".so" +
                     (search.pins.count(name) != 0 ? " so that its pin is checked" : ""));
    return;
  }
  if (find(name) != nullptr) {
    shadowed_.push_back(file);
    return;
  }
  plugins_.push_back(std::move(loaded).value());
}

void PluginRegistry::scan(const fs::path &dir, bool required, const PluginSearch &search,
                          std::string_view only) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (required) {
      broken_.push_back(
          BrokenPlugin{dir, LoadError{LoadFailure::missing_file,
                                      "plugin directory " + dir.string() + " does not exist"}});
    }
    return;
  }
  if (auto problem = trust_problem(dir)) {
    refuse(dir, std::move(*problem));
    return;
  }
  std::vector<fs::path> files;
  for (const auto &entry : fs::directory_iterator(dir, ec)) {
    const fs::path &file = entry.path();
    if (file.extension() == ".so" && (only.empty() || file.stem() == only))
      files.push_back(file);
  }
  std::sort(files.begin(), files.end()); // deterministic precedence within a directory
  for (const auto &file : files)
    consider(file, search, true);
}

PluginRegistry PluginRegistry::discover(const PluginSearch &search, std::string_view only) {
  PluginRegistry registry;
  for (const auto &file : search.files)
    registry.consider(file, search, false);
  for (const auto &dir : search.required_dirs)
    registry.scan(dir, true, search, only);
  for (const auto &dir : search.optional_dirs)
    registry.scan(dir, false, search, only);
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
