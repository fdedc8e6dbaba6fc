// Asking each plugin's accounts capability for its tokens' expiry.
#include "daemon/token_gauge.hpp"

#include "capabilities.hpp"
#include "daemon/metrics.hpp"
#include "errors.hpp"

#include <boost/json.hpp>

namespace autohost::daemon {
namespace json = boost::json;

namespace {

// A scrape waits at most this long for one plugin's answer (it reads only the store).
constexpr std::int64_t call_timeout_ms = 5000;

// The accounts answer's {"accounts": [{"account", "expires_in_s"}]}, as samples; false
// when the answer is not of that shape.
bool append_accounts(std::string &out, std::string_view plugin, std::string_view answer) {
  boost::system::error_code ec;
  const json::value v = json::parse(answer, ec);
  const json::value *list = ec || !v.is_object() ? nullptr : v.as_object().if_contains("accounts");
  if (list == nullptr || !list->is_array())
    return false;
  for (const json::value &a : list->as_array()) {
    const json::object *o = a.if_object();
    const json::value *name = o == nullptr ? nullptr : o->if_contains("account");
    const json::value *left = o == nullptr ? nullptr : o->if_contains("expires_in_s");
    if (name == nullptr || !name->is_string() || left == nullptr || !left->is_number())
      continue; // damaged, or a token without a known expiry: no sample rather than a guess
    out += "autohost_token_expires_in_seconds{" +
           label_text({"plugin", "account"}, {std::string(plugin), std::string(name->as_string())});
    out.pop_back();
    out += "} " + sample_value(left->to_number<double>()) + "\n";
  }
  return true;
}

} // namespace

std::string render_token_days(const PluginPool &plugins, std::int64_t now_ms) {
  std::string days, failed;
  for (const auto &library : plugins.libraries()) {
    const std::string plugin(library->name());
    auto caps = host::read_capabilities(library->manifest_json(), plugin);
    const Instance *instance = plugins.find(plugin);
    if (!caps || caps.value().accounts.empty() || instance == nullptr)
      continue;
    CallOptions call;
    call.deadline_ms = now_ms + call_timeout_ms;
    Result<std::string> answer = [&]() -> Result<std::string> {
      try {
        return instance->invoke(caps.value().accounts, "{}", call);
      } catch (const std::exception &e) {
        return host::make_error(AH_INTERNAL, "internal", e.what());
      }
    }();
    const bool read = answer && append_accounts(days, plugin, answer.value());
    failed += "autohost_token_status_errors{" + label_text({"plugin"}, {plugin});
    failed.pop_back();
    failed += read ? "} 0\n" : "} 1\n";
  }
  std::string out;
  family_header(out, "autohost_token_expires_in_seconds", "gauge",
                "seconds until the account's token expires (negative: expired)");
  out += days;
  family_header(out, "autohost_token_status_errors", "gauge",
                "1 when the plugin's accounts capability did not answer at this scrape");
  out += failed;
  return out;
}

} // namespace autohost::daemon
