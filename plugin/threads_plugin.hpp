// The Threads plugin instance: dispatches actions and jobs named in the manifest.
#pragma once

#include "config.hpp"

#include <autohost/plugin.hpp>

#include <memory>
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
  ThreadsPlugin(autohost::HostServices host, Config config);

  autohost::Result<std::string> info(std::string_view input_json);

  autohost::HostServices host_;
  Config config_;
};

} // namespace threads
