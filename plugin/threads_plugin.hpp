// The Threads plugin instance: owns the HTTP and Graph clients and dispatches the actions
// and jobs named in the manifest.
#pragma once

#include "auth/account_cache.hpp"
#include "config.hpp"
#include "graph/graph_client.hpp"
#include "http/client.hpp"

#include <autohost/plugin.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace threads {

class ThreadsPlugin final : public autohost::PluginInstance {
public:
  // The factory the ABI adapter calls; fails with invalid_input on a bad config.
  static autohost::Result<std::unique_ptr<autohost::PluginInstance>>
  create(autohost::HostServices host, std::string_view config_json);

  autohost::Result<std::string> invoke(std::string_view action, std::string_view input_json,
                                       const autohost::CallContext &ctx) override;
  autohost::Result<std::string> run_job(std::string_view job,
                                        const autohost::CallContext &ctx) override;

private:
  // The HTTP client (with its io thread and TLS context) and the Graph client over it.
  struct Network {
    Network(const Config &config, http::Client client)
        : http(std::move(client)), graph(config, http) {}
    http::Client http; // joined (io thread stopped) when the instance is destroyed
    graph::GraphClient graph;
  };

  ThreadsPlugin(autohost::HostServices host, Config config);

  // Created on first use: loading the CA store costs tens of milliseconds, which create()
  // and actions that need no network should not pay.
  autohost::Result<graph::GraphClient *> network();
  autohost::Result<std::string> info(std::string_view input_json);

  autohost::HostServices host_;
  Config config_;
  std::mutex network_mutex_;
  std::unique_ptr<Network> network_;
  // Account records actions read, kept for the next call while unchanged in the store.
  auth::AccountCache account_cache_;
};

} // namespace threads
