// The `post` action: a persisted state machine that publishes each post exactly once.
//
// States live in the checkpoint: no container -> containers created (ids recorded) ->
// publish sent (recorded before the request leaves) -> published (media id recorded).
// Whenever a publish may have happened but no answer says so (timeout, reset, 5xx), the
// outcome is verified - container status, then the account's own posts - before any
// request could publish again. This file makes and awaits the containers; publish_send.cpp
// sends the publish.
#include "actions/publisher.hpp"

#include "actions/container_params.hpp"
#include "actions/input_reader.hpp"
#include "actions/post_dry_run.hpp"
#include "actions/publish_flow.hpp"
#include "actions/publish_quota.hpp"

#include <autohost/cut_text.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;
using graph::Operation;
using http::Method;

namespace publish_flow {

namespace {

constexpr int max_container_rounds = 3;
// A container's error_message is a short name (FAILED_DOWNLOADING_VIDEO...); a server's
// longer text is cut before it reaches an error body or a log line, whichever host runs us.
constexpr std::size_t max_container_error_bytes = 1024;

std::string random_key() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned long long> dist;
  char buf[40];
  std::snprintf(buf, sizeof buf, "auto-%016llx", dist(rd));
  return buf;
}

} // namespace

Error with_key(Error e, const std::string &key, std::string_view stage) {
  boost::system::error_code ec;
  json::value body = json::parse(e.body, ec);
  if (ec || !body.is_object())
    body = json::object{{"message", e.body}};
  body.as_object()["idempotency_key"] = key;
  body.as_object()["stage"] = stage;
  e.body = json::serialize(body);
  return e;
}

Error plain(ah_status status, std::string_view code, std::string message) {
  return Error{status,
               json::serialize(json::object{{"code", code}, {"message", std::move(message)}})};
}

ContainerState parse_state(std::string_view s) {
  if (s == "IN_PROGRESS")
    return ContainerState::in_progress;
  if (s == "FINISHED")
    return ContainerState::finished;
  if (s == "PUBLISHED")
    return ContainerState::published;
  if (s == "ERROR")
    return ContainerState::error;
  if (s == "EXPIRED")
    return ContainerState::expired;
  return ContainerState::unknown;
}

const ContainerWait &Publisher::wait_rules() const {
  if (in_.has_video())
    return ctx_.config.video_wait;
  if (in_.shape() == PostShape::text)
    return ctx_.config.text_wait;
  return ctx_.config.image_wait;
}

Result<autohost::Done> Publisher::save() {
  auto saved = store_.save(cp_);
  if (!saved)
    return with_key(std::move(saved).error(), key_, "checkpoint");
  return autohost::Done{};
}

Result<std::string> Publisher::create_container(const graph::Params &params) {
  auto call =
      ctx_.make_call(Method::post, "/" + user() + "/threads", Operation::create_container, {});
  call.params = params;
  // Creating a container publishes nothing, so a lost answer is harmless: an orphan
  // container simply expires. Retrying it is safe.
  call.idempotent = true;
  auto created = account_.call(call);
  if (!created)
    return with_key(to_error(std::move(created).error()), key_, "create_container");
  std::string id =
      graph::id_string(created->is_object() ? created->as_object().if_contains("id") : nullptr);
  if (id.empty()) {
    return plain(AH_RETRY_LATER, "malformed_response",
                 "the Threads API created a container but returned no id");
  }
  return id;
}

// Carousel items are processed on their own, and Threads refuses a carousel whose items are
// not all FINISHED (4279004). Each item is recorded as soon as it exists, so a resumed call
// never uploads a finished item again. False: an item expired, start over.
Result<bool> Publisher::create_and_await_items() {
  const bool created_now = cp_.children.size() < in_.media.size();
  for (std::size_t i = cp_.children.size(); i < in_.media.size(); ++i) {
    AH_TRY_DECLARE(child, create_container(carousel_item_params(in_.media[i])));
    cp_.children.push_back(std::move(child));
    AH_TRY(save());
  }
  const double budget_end = elapsed() + wait_rules().budget_s;
  double first_wait = created_now ? wait_rules().first_check_s : 0;
  for (std::size_t i = 0; i < cp_.children.size(); ++i) {
    std::string error_message;
    ContainerState state{};
    AH_TRY_ASSIGN(state, poll(cp_.children[i], error_message, first_wait, budget_end));
    first_wait = 0;
    if (state == ContainerState::finished)
      continue;
    const std::string field = "media[" + std::to_string(i) + "]";
    if (state == ContainerState::error) {
      const graph::Verdict v = graph::classify_container_error(error_message);
      json::object body{{"code", v.code},
                        {"field", field},
                        {"message", field + ": Threads could not process the item (" +
                                        error_message + "): " + v.advice},
                        {"error_message", error_message},
                        {"container_id", cp_.children[i]},
                        {"idempotency_key", key_}};
      return Error{AH_INVALID_INPUT, json::serialize(body)};
    }
    // EXPIRED, PUBLISHED elsewhere or unknown: this set can never make a carousel.
    ctx_.log(AH_LOG_INFO, "a carousel item cannot be used; starting over with new items",
             json::serialize(json::object{{"idempotency_key", key_}, {"item", field}}));
    cp_.children.clear();
    AH_TRY(save());
    return false;
  }
  return true;
}

Result<autohost::Done> Publisher::create_containers() {
  ctx_.progress("creating", shape_name(in_.shape()), elapsed());
  if (in_.shape() == PostShape::carousel) {
    bool ready = false;
    for (int round = 0; !ready && round < max_container_rounds; ++round)
      AH_TRY_ASSIGN(ready, create_and_await_items());
    if (!ready) {
      return with_key(plain(AH_RETRY_LATER, "containers_failed",
                            "Threads let the carousel items expire several times; try again later"),
                      key_, "processing");
    }
  }
  std::string id;
  AH_TRY_ASSIGN(id, create_container(post_container_params(in_, cp_.children)));
  cp_.container_id = std::move(id);
  cp_.container_created_ms = ctx_.now_ms();
  return save();
}

Result<ContainerState> Publisher::poll(const std::string &id, std::string &error_message,
                                       double first_wait, double budget_end) {
  double next_wait = first_wait;
  for (;;) {
    if (next_wait > 0 && !ctx_.wait(next_wait)) {
      return with_key(plain(AH_CANCELLED, ctx_.stop_code(),
                            "stopped while the container was processing; call again with the "
                            "same idempotency key to resume"),
                      key_, "processing");
    }
    auto call = ctx_.make_call(Method::get, "/" + id, Operation::read, {});
    call.params = {{"fields", "id,status,error_message"}};
    auto status = account_.call(call);
    if (!status)
      return with_key(to_error(std::move(status).error()), key_, "processing");
    const json::object *o = status->is_object() ? &status->as_object() : nullptr;
    const json::value *s = o != nullptr ? o->if_contains("status") : nullptr;
    const std::string text = s != nullptr && s->is_string() ? std::string(s->as_string()) : "";
    const ContainerState state = parse_state(text);
    ctx_.progress("processing", autohost::cut_text(text, 64), elapsed());
    if (state == ContainerState::error) {
      const json::value *m = o->if_contains("error_message");
      error_message = m != nullptr && m->is_string()
                          ? autohost::cut_text(m->as_string(), max_container_error_bytes)
                          : "UNKNOWN";
    }
    if (state != ContainerState::in_progress)
      return state;
    if (elapsed() >= budget_end) {
      return with_key(plain(AH_RETRY_LATER, "still_processing",
                            "the container is still processing after " +
                                std::to_string(static_cast<int>(wait_rules().budget_s)) +
                                " s; call again with the same idempotency key to resume"),
                      key_, "processing");
    }
    next_wait = std::min(wait_rules().interval_s, std::max(0.0, budget_end - elapsed()));
  }
}

Result<ContainerState> Publisher::wait_for_container(std::string &error_message,
                                                     double first_wait) {
  return poll(cp_.container_id, error_message, first_wait, elapsed() + wait_rules().budget_s);
}

Result<std::string> Publisher::publish_finished_container() {
  if (!cp_.baseline_taken) {
    std::string baseline;
    AH_TRY_ASSIGN(baseline, newest_post_id());
    cp_.baseline_post_id = std::move(baseline);
    cp_.baseline_taken = true;
  }
  return publish();
}

// After a container ended in ERROR, EXPIRED or an unknown state: false with an error for a
// permanent failure, true once the containers are dropped for a fresh set.
Result<bool> Publisher::start_over_after(ContainerState state, const std::string &error_message) {
  if (state == ContainerState::error) {
    const graph::Verdict v = graph::classify_container_error(error_message);
    json::object body{
        {"code", v.code},
        {"message", "Threads could not process the media (" + error_message + "): " + v.advice},
        {"container_id", cp_.container_id},
        {"idempotency_key", key_}};
    if (v.status != AH_RETRY_LATER)
      return Error{v.status, json::serialize(body)};
  }
  // Only the recorded container id is ever published, so the old ones can never be
  // published by mistake.
  ctx_.log(AH_LOG_INFO, "starting over with new containers",
           json::serialize(json::object{{"idempotency_key", key_}, {"error", error_message}}));
  cp_.container_id.clear();
  cp_.children.clear();
  cp_.baseline_taken = false;
  AH_TRY(save());
  return true;
}

Result<std::string> Publisher::run() {
  std::optional<PublishCheckpoint> loaded;
  AH_TRY_ASSIGN(loaded, store_.load());
  if (loaded) {
    cp_ = std::move(*loaded);
    resumed_ = true;
    if (cp_.input_sha256 != input_sha256_)
      return key_reused_error(key_);
    if (!cp_.media_id.empty())
      return result_json();
  } else {
    cp_.input_sha256 = input_sha256_;
    AH_TRY(save());
  }

  if (cp_.publish_sent_ms != 0) {
    // A previous attempt sent the publish and never learned the outcome.
    AH_TRY_DECLARE(settled, settle_unknown_publish());
    if (settled)
      return std::move(*settled);
  }

  // Before anything is created - and, for a resumed post, before its containers are
  // published - so a used-up quota leaves no orphan container behind.
  AH_TRY(check_publishing_quota(ctx_, account_, is_reply() ? QuotaKind::replies : QuotaKind::posts,
                                key_));

  if (in_.auto_publish_text)
    return publish_text_at_creation();

  for (int round = 0; round < max_container_rounds; ++round) {
    if (cp_.container_id.empty())
      AH_TRY(create_containers());
    // The first check comes first_check_s after creation; a container made by an earlier
    // call (perhaps a day ago, now EXPIRED) is checked at once.
    const double age_s = static_cast<double>(ctx_.now_ms() - cp_.container_created_ms) / 1000.0;
    const double first_wait = std::max(0.0, wait_rules().first_check_s - age_s);
    std::string error_message;
    ContainerState state{};
    AH_TRY_ASSIGN(state, wait_for_container(error_message, first_wait));
    switch (state) {
    case ContainerState::finished:
      return publish_finished_container();
    case ContainerState::published: {
      // Published by an earlier attempt whose answer was lost.
      AH_TRY(verify_published());
      return finish(cp_.media_id.empty() ? "unknown" : cp_.media_id);
    }
    case ContainerState::in_progress:
      break;
    default:
      AH_TRY(start_over_after(state, error_message));
      break;
    }
  }
  return with_key(plain(AH_RETRY_LATER, "containers_failed",
                        "Threads failed to process the media several times; try again later"),
                  key_, "processing");
}

} // namespace publish_flow

Result<std::string> run_post(const ActionContext &ctx, std::string_view input_json) {
  PostInput input;
  AH_TRY_ASSIGN(input, parse_post_input(input_json));
  const std::string given_key(ctx.call.idempotency_key());
  std::string key = given_key.empty() ? publish_flow::random_key() : given_key;
  AH_TRY(validate_idempotency_key(key));
  AH_TRY_DECLARE(account, ActingAccount::load(ctx));
  // The same post in other spacing or key order is the same post; dry_run says how to call,
  // not what to post, so the real post after a dry run has the digest the dry run checked.
  AH_TRY_DECLARE(doc, parse_input("post", input_json));
  json::object post;
  for (const auto &field : doc.as_object()) {
    if (field.key() != "dry_run")
      post.emplace(field.key(), field.value());
  }
  std::string digest = input_sha256(json::serialize(post));
  if (input.dry_run)
    return dry_run_post(ctx, account, DryRunPost{input, post, std::move(digest), given_key});
  publish_flow::Publisher publisher(ctx, std::move(input), std::move(digest), std::move(account),
                                    std::move(key));
  return publisher.run();
}

} // namespace threads::actions
