// What every action gets: the host, the configuration, the Graph client, the accounts and
// the call context, with helpers for deadlines, cancellation, waiting and progress.
#pragma once

#include "auth/accounts.hpp"
#include "auth/refresh_policy.hpp"
#include "config.hpp"
#include "graph/graph_client.hpp"

#include <autohost/plugin.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace threads {

class ActionContext {
public:
  // `cache`: the instance's kept account records (see auth::Accounts), or none.
  ActionContext(autohost::HostServices host, const Config &config, graph::GraphClient &graph,
                const autohost::CallContext &call, auth::AccountCache *cache = nullptr)
      : host(host), config(config), graph(graph), accounts(host, cache), call(call) {}

  autohost::HostServices host;
  const Config &config;
  graph::GraphClient &graph;
  auth::Accounts accounts;
  const autohost::CallContext &call;
  // The action's name and the scopes it needs beyond threads_basic: ActingAccount::load
  // refuses an account whose checked scopes lack one, before any request.
  std::string_view action;
  std::vector<std::string_view> scopes_needed;

  std::int64_t now_ms() const { return host.now_ms(); }
  // The refresh rules with the configured window.
  auth::RefreshRules refresh_rules() const;
  // True once the host cancelled the call or its deadline passed.
  bool should_stop() const;
  // Why should_stop() is true, as the error code that goes with AH_CANCELLED: "cancelled"
  // or "deadline_exceeded" (abi.h: both are the caller's decision to stop).
  std::string_view stop_code() const;
  // Sleeps up to `seconds` in small steps; false when stopped early by should_stop().
  bool wait(double seconds) const;
  // A Graph call with this call's deadline and cancellation filled in.
  graph::Call make_call(http::Method method, std::string path, graph::Operation op,
                        std::string token) const;
  void progress(std::string_view stage, std::string_view detail, double elapsed_s) const;
  void log(ah_log_level level, std::string_view message, std::string_view fields_json = {}) const {
    host.log(level, message, fields_json);
  }
};

// Turns a Graph failure into the ABI error.
inline autohost::Error to_error(graph::Failure failure) { return std::move(failure.error); }

// A Graph result with its failure turned into the ABI error, so AH_TRY can pass it on.
template <class T> autohost::Result<T> to_result(graph::GraphResult<T> result) {
  if (!result)
    return to_error(std::move(result).error());
  return std::move(result).value();
}

} // namespace threads
