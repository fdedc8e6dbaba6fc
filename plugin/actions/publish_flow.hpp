// Inside the `post` action: the Publisher that walks one post through the persisted publish
// state machine. publisher.cpp makes and awaits the containers; publish_send.cpp sends the
// publish, paces it and verifies lost outcomes. Not for use outside those two files.
#pragma once

#include "actions/acting_account.hpp"
#include "actions/post_input.hpp"
#include "actions/publish_checkpoint.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace threads::actions::publish_flow {

enum class ContainerState { in_progress, finished, published, error, expired, unknown };

ContainerState parse_state(std::string_view s);
// Adds the idempotency key and the stage to an error body, so the caller can resume.
autohost::Error with_key(autohost::Error e, const std::string &key, std::string_view stage);
autohost::Error plain(ah_status status, std::string_view code, std::string message);

class Publisher {
public:
  Publisher(const ActionContext &ctx, PostInput input, std::string input_sha256,
            ActingAccount account, std::string key)
      : ctx_(ctx), in_(std::move(input)), input_sha256_(std::move(input_sha256)),
        account_(std::move(account)), key_(std::move(key)), store_(ctx.host, account_.name(), key_),
        started_(std::chrono::steady_clock::now()) {}

  autohost::Result<std::string> run();

private:
  // publisher.cpp: containers.
  const ContainerWait &wait_rules() const;
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }
  const std::string &user() const { return account_.user_id(); }
  bool is_reply() const { return !in_.reply_to_id.empty(); }
  autohost::Result<autohost::Done> save();
  autohost::Result<std::string> create_container(const graph::Params &params);
  autohost::Result<bool> create_and_await_items();
  autohost::Result<autohost::Done> create_containers();
  // Polls `id` until it leaves IN_PROGRESS or the elapsed time passes `budget_end`.
  autohost::Result<ContainerState> poll(const std::string &id, std::string &error_message,
                                        double first_wait, double budget_end);
  autohost::Result<ContainerState> wait_for_container(std::string &error_message,
                                                      double first_wait);
  autohost::Result<std::string> publish_finished_container();
  autohost::Result<bool> start_over_after(ContainerState state, const std::string &error_message);

  // publish_send.cpp: the publish, its pacing, and verification of lost outcomes.
  autohost::Result<std::string> newest_post_id();
  autohost::Result<std::string> find_our_post();
  autohost::Result<bool> verify_published();
  autohost::Result<std::optional<std::string>> settle_unknown_publish();
  autohost::Result<autohost::Done> clear_publish_mark();
  autohost::Result<std::string> publish();
  autohost::Error stopped_publishing() const;
  autohost::Result<std::string> publish_text_at_creation();
  autohost::Result<std::string> finish(std::string media_id);
  std::string result_json() const;

  const ActionContext &ctx_;
  PostInput in_;
  std::string input_sha256_;
  // Requests safe to repeat go through account_.call (which recovers once from a rejected
  // token); the publish goes through account_.call_once.
  ActingAccount account_;
  std::string key_;
  CheckpointStore store_;
  PublishCheckpoint cp_;
  bool resumed_ = false;
  bool verified_ = false;
  std::chrono::steady_clock::time_point started_;
};

} // namespace threads::actions::publish_flow
