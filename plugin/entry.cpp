// The plugin's only exported symbol: the ABI entry point returning the function table.
#include "manifest.hpp"
#include "threads_plugin.hpp"

#include <autohost/plugin.hpp>

namespace {
using Adapter = autohost::PluginAdapter<&threads::ThreadsPlugin::create>;
constexpr ah_plugin table =
    Adapter::table(threads::plugin_name, threads::plugin_version, threads::manifest_json);
} // namespace

extern "C" __attribute__((visibility("default"))) const ah_plugin *autohost_plugin_entry(void) {
  return &table;
}
