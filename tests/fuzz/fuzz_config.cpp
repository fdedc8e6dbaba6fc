// libFuzzer harness: the host's config file (--config), read from a real file.
#include "cli/settings.hpp"
#include "errors.hpp"
#include "fuzz_check.hpp"

#include <cstdlib>
#include <fstream>

namespace {

// A private directory for the file; the environment must not add settings of its own.
std::string prepare() {
  for (const char *name :
       {"AUTOHOST_CONFIG", "AUTOHOST_PLUGIN_PATH", "AUTOHOST_STORE", "AUTOHOST_MASTER_KEY",
        "AUTOHOST_MASTER_KEY_FILE", "AUTOHOST_LOG_LEVEL", "XDG_CONFIG_HOME"}) {
    unsetenv(name);
  }
  char dir[] = "/tmp/autohost-fuzz-config-XXXXXX";
  if (mkdtemp(dir) == nullptr)
    fuzz::fail("mkdtemp failed");
  setenv("AUTOHOST_STATE_DIR", dir, 1);
  return std::string(dir) + "/config.json";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static const std::string file = prepare();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  }
  autohost::cli::GlobalFlags flags;
  flags.config = file;
  auto settings = autohost::cli::resolve_settings(flags);
  if (!settings) {
    fuzz::require_clean_error(settings.error(), "resolve_settings");
    const auto message = autohost::host::error_message(settings.error());
    fuzz::require(message.find(file) != std::string::npos ||
                      message.find("log_level") != std::string::npos,
                  "a config error names neither the file nor the setting", message);
    return 0;
  }
  const auto all = fuzz::must_parse(settings->plugin_configs_json, "plugin configs");
  fuzz::require(all.is_object(), "plugin configs are not an object");
  for (const auto &[name, cfg] : all.as_object()) {
    const std::string one = settings->plugin_config(name);
    fuzz::require(fuzz::must_parse(one, "a plugin config").is_object(),
                  "a plugin config is not an object", one);
  }
  return 0;
}
