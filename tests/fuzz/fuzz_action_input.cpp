// libFuzzer harness: every Threads action's input, through the real plugin instance. The
// first byte picks the action, the rest is its input JSON. The host is in memory with one
// usable account, and every call is cancelled, so a valid input ends at its first request.
#include "fake_host.hpp"
#include "fuzz_account.hpp"
#include "fuzz_check.hpp"
#include "threads_plugin.hpp"

#include <array>
#include <memory>

namespace {

constexpr std::array<std::string_view, 20> actions = {
    "post",          "import_token", "register_app", "auth_url",   "exchange_code",
    "refresh_token", "token_status", "profile",      "threads",    "thread",
    "replies",       "conversation", "mentions",     "insights",   "publishing_limit",
    "search",        "delete",       "repost",       "hide_reply", "info"};

constexpr std::string_view token = fuzz::account_token;

struct World {
  autohost::test::FakeHost host;
  std::unique_ptr<autohost::PluginInstance> plugin;
  std::string account_record;

  World() {
    account_record = fuzz::account_record(host.now_ms);
    // Nothing listens on port 9 of loopback; cancellation ends requests before they connect.
    auto created = threads::ThreadsPlugin::create(
        host.services(), R"({"graph_base_url":"https://127.0.0.1:9","oauth_base_url":)"
                         R"("https://127.0.0.1:9","request_timeout_s":1})");
    if (!created)
      fuzz::fail("the plugin does not start", created.error().body);
    plugin = std::move(created).value();
  }
};

int always_cancelled(void *) { return 1; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static World world;
  if (size == 0)
    return 0;
  const std::string_view action = actions[data[0] % actions.size()];
  const std::string_view input = fuzz::text_of(data + 1, size - 1);

  world.host.secrets.clear();
  world.host.logs.clear();
  world.host.secrets[threads::auth::account_key("fuzz")] = {world.account_record, 1};

  ah_call_context call{};
  call.struct_size = sizeof call;
  call.account = autohost::to_ah("fuzz");
  call.is_cancelled = &always_cancelled;
  auto result = world.plugin->invoke(action, input, autohost::CallContext(&call));

  const std::string what = "action " + std::string(action);
  const bool input_has_token = input.find(token) != std::string_view::npos;
  if (result) {
    fuzz::must_parse(*result, what + " output");
    fuzz::require(input_has_token || result->find(token) == std::string::npos,
                  what + ": the token is in the output", *result);
  } else {
    fuzz::require_clean_error(result.error(), what);
    fuzz::require(input_has_token || result.error().body.find(token) == std::string::npos,
                  what + ": the token is in the error", result.error().body);
  }
  for (const auto &[level, line] : world.host.logs) {
    fuzz::require(input_has_token || line.find(token) == std::string::npos,
                  what + ": the token is in a log line", line);
  }
  return 0;
}
