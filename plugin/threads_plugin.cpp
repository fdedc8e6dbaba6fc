// The Threads plugin instance: action and job dispatch.
#include "threads_plugin.hpp"

#include "action_context.hpp"
#include "actions/action_scopes.hpp"
#include "actions/import_token.hpp"
#include "actions/manage.hpp"
#include "actions/onboarding.hpp"
#include "actions/publisher.hpp"
#include "actions/reads.hpp"
#include "actions/token_actions.hpp"
#include "auth/accounts.hpp"
#include "http/redact.hpp"
#include "jobs/refresh_tokens.hpp"
#include "manifest.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <fstream>

namespace threads {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

using ActionFn = Result<std::string> (*)(const ActionContext &, std::string_view);

struct ActionEntry {
  std::string_view name;
  ActionFn run;
};

constexpr ActionEntry action_table[] = {
    {"post", &actions::run_post},
    {"import_token", &actions::run_import_token},
    {"register_app", &actions::run_register_app},
    {"auth_url", &actions::run_auth_url},
    {"exchange_code", &actions::run_exchange_code},
    {"refresh_token", &actions::run_refresh_token},
    {"token_status", &actions::run_token_status},
    {"profile", &actions::run_profile},
    {"threads", &actions::run_threads},
    {"thread", &actions::run_thread},
    {"replies", &actions::run_replies},
    {"conversation", &actions::run_conversation},
    {"mentions", &actions::run_mentions},
    {"insights", &actions::run_insights},
    {"publishing_limit", &actions::run_publishing_limit},
    {"search", &actions::run_search},
    {"delete", &actions::run_delete},
    {"repost", &actions::run_repost},
    {"hide_reply", &actions::run_hide_reply},
};

using JobFn = Result<std::string> (*)(const ActionContext &);

struct JobEntry {
  std::string_view name;
  JobFn run;
};

constexpr JobEntry job_table[] = {
    {"refresh_tokens", &jobs::run_refresh_tokens},
};

ah_log_level to_host_level(http::LogLevel level) {
  switch (level) {
  case http::LogLevel::debug:
    return AH_LOG_DEBUG;
  case http::LogLevel::info:
    return AH_LOG_INFO;
  case http::LogLevel::warn:
    return AH_LOG_WARN;
  case http::LogLevel::error:
    return AH_LOG_ERROR;
  }
  return AH_LOG_INFO;
}

http::LogLevel from_host_level(ah_log_level level) {
  switch (level) {
  case AH_LOG_DEBUG:
    return http::LogLevel::debug;
  case AH_LOG_INFO:
    return http::LogLevel::info;
  case AH_LOG_WARN:
    return http::LogLevel::warn;
  case AH_LOG_ERROR:
    return http::LogLevel::error;
  }
  return http::LogLevel::debug;
}

} // namespace

ThreadsPlugin::ThreadsPlugin(autohost::HostServices host, Config config)
    : host_(host), config_(std::move(config)) {}

Result<std::unique_ptr<autohost::PluginInstance>>
ThreadsPlugin::create(autohost::HostServices host, std::string_view config_json) {
  AH_TRY_DECLARE(config, parse_config(config_json));
  if (!config.ca_file.empty() && !std::ifstream(config.ca_file).good()) {
    return Error::make(AH_INVALID_INPUT,
                       "plugin config: 'ca_file' " + config.ca_file + " cannot be read");
  }
  return std::unique_ptr<autohost::PluginInstance>(new ThreadsPlugin(host, std::move(config)));
}

Result<graph::GraphClient *> ThreadsPlugin::network() {
  std::lock_guard lock(network_mutex_);
  if (!network_) {
    http::ClientOptions options;
    options.ca_file = config_.ca_file;
    options.request_timeout =
        std::chrono::milliseconds(static_cast<long long>(config_.request_timeout_s * 1000));
    options.retry.max_retry_after =
        std::chrono::milliseconds(static_cast<long long>(config_.max_retry_wait_s * 1000));
    const autohost::HostServices host = host_;
    options.log = [host](http::LogLevel level, std::string_view message, std::string_view fields) {
      host.log(to_host_level(level), message, fields);
    };
    options.log_level = from_host_level(host.log_level());
    if (host.counts()) {
      options.on_answer = [host](int status, std::string_view body) {
        host.count("http_answers", graph::http_answer_labels(status, body));
      };
    }
    auto client = http::Client::create(std::move(options));
    if (!client) {
      return Error::make(AH_INVALID_INPUT,
                         "plugin config: the HTTP client cannot start: " + client.error().message);
    }
    network_ = std::make_unique<Network>(config_, std::move(*client));
  }
  return &network_->graph;
}

Result<std::string> ThreadsPlugin::invoke(std::string_view action, std::string_view input_json,
                                          const autohost::CallContext &ctx) {
  if (action == "info")
    return info(input_json);
  for (const auto &entry : action_table) {
    if (entry.name == action) {
      AH_TRY_DECLARE(graph, network());
      ActionContext context(host_, config_, *graph, ctx, &account_cache_);
      context.action = entry.name;
      context.scopes_needed = actions::scopes_needed(entry.name, input_json);
      return entry.run(context, input_json);
    }
  }
  return Error::make(AH_NOT_FOUND, "the threads plugin has no action '" + std::string(action) +
                                       "' (see `autohost actions threads`)");
}

Result<std::string> ThreadsPlugin::run_job(std::string_view job, const autohost::CallContext &ctx) {
  for (const auto &entry : job_table) {
    if (entry.name == job) {
      AH_TRY_DECLARE(graph, network());
      // Without the cache: a sweep reads each record once, and would only churn it.
      const ActionContext context(host_, config_, *graph, ctx);
      return entry.run(context);
    }
  }
  return Error::make(AH_NOT_FOUND, "the threads plugin has no job '" + std::string(job) +
                                       "' (see `autohost jobs`)");
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
  AH_TRY_DECLARE(names, auth::Accounts(host_).names());
  json::array accounts;
  for (const auto &n : names)
    accounts.emplace_back(n);
  json::object out;
  out["plugin"] = plugin_name;
  out["version"] = plugin_version;
  out["abi"] = std::to_string(AH_ABI_MAJOR) + "." + std::to_string(AH_ABI_MINOR);
  json::value shown = json::parse(to_json(config_));
  // A base URL may carry credentials (https://user:pw@host); info output reaches terminals
  // and logs, so it never shows them.
  for (const char *url : {"graph_base_url", "oauth_base_url"}) {
    if (json::value *v = shown.as_object().if_contains(url); v != nullptr && v->is_string())
      *v = http::without_userinfo(v->as_string());
  }
  out["config"] = std::move(shown);
  out["accounts"] = std::move(accounts);
  return json::serialize(out);
}

} // namespace threads
