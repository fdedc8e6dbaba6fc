// The Threads plugin instance: action and job dispatch.
#include "threads_plugin.hpp"

#include "manifest.hpp"

#include <boost/json.hpp>

namespace threads {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {
// Accounts live under this prefix in the host's secret store.
constexpr std::string_view account_prefix = "threads/accounts/";
} // namespace

ThreadsPlugin::ThreadsPlugin(autohost::HostServices host, Config config)
    : host_(host), config_(std::move(config)) {}

Result<std::unique_ptr<autohost::PluginInstance>>
ThreadsPlugin::create(autohost::HostServices host, std::string_view config_json) {
  auto config = parse_config(config_json);
  if (!config) return std::move(config).error();
  return std::unique_ptr<autohost::PluginInstance>(
      new ThreadsPlugin(host, std::move(config).value()));
}

Result<std::string> ThreadsPlugin::invoke(std::string_view action, std::string_view input_json,
                                          const autohost::CallContext &) {
  if (action == "info") return info(input_json);
  return Error::make(AH_NOT_FOUND, "the threads plugin has no action '" + std::string(action) +
                                       "' (see `autohost actions threads`)");
}

Result<std::string> ThreadsPlugin::run_job(std::string_view job, const autohost::CallContext &) {
  return Error::make(AH_NOT_FOUND, "the threads plugin has no job '" + std::string(job) + "'");
}

Result<std::string> ThreadsPlugin::info(std::string_view input_json) {
  boost::system::error_code ec;
  json::value input = json::parse(input_json.empty() ? std::string_view("{}") : input_json, ec);
  if (ec || !input.is_object()) {
    return Error::make(AH_INVALID_INPUT, "info: input must be a JSON object");
  }
  if (!input.as_object().empty()) {
    return Error::make(AH_INVALID_INPUT, "info: unexpected input field '" +
                                             std::string(input.as_object().begin()->key()) + "'");
  }
  auto listed = host_.secret_list(account_prefix);
  if (!listed) return std::move(listed).error();
  json::array accounts;
  const json::value listing = json::parse(listed.value());
  for (const auto &entry : listing.as_array()) {
    std::string_view key = entry.as_object().at("key").as_string();
    key.remove_prefix(account_prefix.size());
    const std::string_view name = key.substr(0, key.find('/'));
    if (accounts.empty() || accounts.back().as_string() != name) accounts.emplace_back(name);
  }
  json::object out;
  out["plugin"] = plugin_name;
  out["version"] = plugin_version;
  out["abi"] = std::to_string(AH_ABI_MAJOR) + "." + std::to_string(AH_ABI_MINOR);
  out["config"] = json::parse(to_json(config_));
  out["accounts"] = std::move(accounts);
  return json::serialize(out);
}

} // namespace threads
