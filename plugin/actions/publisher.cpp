// The `post` action: a persisted state machine that publishes each post exactly once.
//
// States live in the checkpoint: no container -> containers created (ids recorded) ->
// publish sent (recorded before the request leaves) -> published (media id recorded).
// Whenever a publish may have happened but no answer says so (timeout, reset, 5xx), the
// outcome is verified - container status, then the account's newest posts - before any
// request could publish again.
#include "actions/publisher.hpp"

#include "actions/acting_account.hpp"
#include "actions/container_params.hpp"
#include "actions/post_input.hpp"
#include "actions/publish_checkpoint.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <random>

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;
using graph::Operation;
using http::Method;

namespace {

constexpr int max_publish_attempts = 3;
constexpr int max_container_rounds = 3;

std::string random_key() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned long long> dist;
  char buf[40];
  std::snprintf(buf, sizeof buf, "auto-%016llx", dist(rd));
  return buf;
}

// Adds the idempotency key to an error body, so the caller can resume the operation.
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

enum class ContainerState { in_progress, finished, published, error, expired, unknown };

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

std::string_view read_media_type(PostShape shape) {
  switch (shape) {
  case PostShape::text:
    return "TEXT_POST";
  case PostShape::image:
    return "IMAGE";
  case PostShape::video:
    return "VIDEO";
  case PostShape::carousel:
    return "CAROUSEL_ALBUM";
  }
  return "TEXT_POST";
}

std::string_view shape_name(PostShape shape) {
  switch (shape) {
  case PostShape::text:
    return "text";
  case PostShape::image:
    return "image";
  case PostShape::video:
    return "video";
  case PostShape::carousel:
    return "carousel";
  }
  return "text";
}

class Publisher {
public:
  Publisher(const ActionContext &ctx, PostInput input, std::string normalized_input,
            ActingAccount account, std::string key)
      : ctx_(ctx), in_(std::move(input)), normalized_(std::move(normalized_input)),
        account_(std::move(account)), key_(std::move(key)), store_(ctx.host, account_.name(), key_),
        started_(std::chrono::steady_clock::now()) {}

  Result<std::string> run();

private:
  const ContainerWait &wait_rules() const {
    if (in_.has_video())
      return ctx_.config.video_wait;
    if (in_.shape() == PostShape::text)
      return ctx_.config.text_wait;
    return ctx_.config.image_wait;
  }
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }
  // The account fills in its token; requests name none themselves.
  static std::string token() { return {}; }
  const std::string &user() const { return account_.user_id(); }
  bool is_reply() const { return !in_.reply_to_id.empty(); }

  Result<autohost::Done> save() {
    auto saved = store_.save(cp_);
    if (!saved)
      return with_key(std::move(saved).error(), key_, "checkpoint");
    return autohost::Done{};
  }
  Result<std::string> create_container(const graph::Params &params);
  Result<autohost::Done> create_containers();
  Result<ContainerState> wait_for_container(std::string &error_message, double first_wait);
  Result<autohost::Done> check_quota();
  Result<std::string> newest_post_id();
  Result<std::string> find_our_post();
  Result<bool> verify_published();
  Result<std::string> publish();
  Result<std::string> publish_text_at_creation();
  Result<std::string> finish(std::string media_id);
  std::string result_json() const;

  const ActionContext &ctx_;
  PostInput in_;
  std::string normalized_;
  // Requests safe to repeat go through account_.call (which recovers once from a rejected
  // token); the publish goes through account_.call_once.
  ActingAccount account_;
  std::string key_;
  CheckpointStore store_;
  PublishCheckpoint cp_;
  bool resumed_ = false;
  bool verified_ = false;
  // Publish requests sent by this call: the cap applies per call, so a later call with the
  // same key can still publish (cp_.publish_attempts counts them all, for the result).
  int attempts_this_call_ = 0;
  std::chrono::steady_clock::time_point started_;
};

Result<std::string> Publisher::create_container(const graph::Params &params) {
  auto call =
      ctx_.make_call(Method::post, "/" + user() + "/threads", Operation::create_container, token());
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

Result<autohost::Done> Publisher::create_containers() {
  ctx_.progress("creating", shape_name(in_.shape()), elapsed());
  if (in_.shape() == PostShape::carousel) {
    // Children first, each recorded as soon as it exists, so a crash loses none.
    for (std::size_t i = cp_.children.size(); i < in_.media.size(); ++i) {
      auto child = create_container(carousel_item_params(in_.media[i]));
      if (!child)
        return std::move(child).error();
      cp_.children.push_back(std::move(child).value());
      if (auto s = save(); !s)
        return s;
    }
  }
  auto id = create_container(post_container_params(in_, cp_.children));
  if (!id)
    return std::move(id).error();
  cp_.container_id = std::move(id).value();
  cp_.container_created_ms = ctx_.now_ms();
  return save();
}

Result<ContainerState> Publisher::wait_for_container(std::string &error_message,
                                                     double first_wait) {
  const ContainerWait &rules = wait_rules();
  const double begun = elapsed();
  double next_wait = first_wait;
  for (;;) {
    if (next_wait > 0 && !ctx_.wait(next_wait)) {
      return with_key(plain(ctx_.call.cancelled() ? AH_CANCELLED : AH_RETRY_LATER, "interrupted",
                            "stopped while the container was processing; call again with the "
                            "same idempotency key to resume"),
                      key_, "processing");
    }
    auto call = ctx_.make_call(Method::get, "/" + cp_.container_id, Operation::read, token());
    call.params = {{"fields", "id,status,error_message"}};
    auto status = account_.call(call);
    if (!status)
      return with_key(to_error(std::move(status).error()), key_, "processing");
    const json::object *o = status->is_object() ? &status->as_object() : nullptr;
    const json::value *s = o != nullptr ? o->if_contains("status") : nullptr;
    const std::string text = s != nullptr && s->is_string() ? std::string(s->as_string()) : "";
    const ContainerState state = parse_state(text);
    ctx_.progress("processing", text, elapsed());
    if (state == ContainerState::error) {
      const json::value *m = o->if_contains("error_message");
      error_message = m != nullptr && m->is_string() ? std::string(m->as_string()) : "UNKNOWN";
    }
    if (state != ContainerState::in_progress)
      return state;
    if (elapsed() - begun >= rules.budget_s) {
      return with_key(plain(AH_RETRY_LATER, "still_processing",
                            "the container is still processing after " +
                                std::to_string(static_cast<int>(rules.budget_s)) +
                                " s; call again with the same idempotency key to resume"),
                      key_, "processing");
    }
    next_wait = rules.interval_s;
  }
}

Result<autohost::Done> Publisher::check_quota() {
  auto call = ctx_.make_call(Method::get, "/" + user() + "/threads_publishing_limit",
                             Operation::read, token());
  call.params = {{"fields", "quota_usage,config,reply_quota_usage,reply_config"}};
  auto limit = account_.call(call);
  if (!limit) {
    // The quota check is advisory: publishing itself enforces the limit.
    ctx_.log(AH_LOG_WARN, "could not read the publishing quota; publishing anyway");
    return autohost::Done{};
  }
  const json::value *data = limit->is_object() ? limit->as_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_array() || data->as_array().empty() ||
      !data->as_array()[0].is_object()) {
    return autohost::Done{};
  }
  const json::object &q = data->as_array()[0].as_object();
  const char *usage_field = is_reply() ? "reply_quota_usage" : "quota_usage";
  const char *config_field = is_reply() ? "reply_config" : "config";
  const json::value *usage = q.if_contains(usage_field);
  const json::value *config = q.if_contains(config_field);
  const json::value *total = config != nullptr && config->is_object()
                                 ? config->as_object().if_contains("quota_total")
                                 : nullptr;
  if (usage != nullptr && total != nullptr && usage->is_number() && total->is_number() &&
      usage->to_number<double>() >= total->to_number<double>()) {
    json::object body{{"code", "quota_exhausted"},
                      {"message", std::string("the account has used its ") +
                                      (is_reply() ? "reply" : "post") + " quota (" +
                                      json::serialize(*usage) + " of " + json::serialize(*total) +
                                      " in the last 24 h); the post will go out when it frees up"},
                      {"retry_after_s", 3600},
                      {"idempotency_key", key_}};
    return Error{AH_RATE_LIMITED, json::serialize(body)};
  }
  return autohost::Done{};
}

Result<std::string> Publisher::newest_post_id() {
  auto call = ctx_.make_call(Method::get, "/" + user() + (is_reply() ? "/replies" : "/threads"),
                             Operation::read, token());
  call.params = {{"fields", "id"}, {"limit", "1"}};
  auto listed = account_.call(call);
  if (!listed)
    return with_key(to_error(std::move(listed).error()), key_, "publishing");
  const json::value *data = listed->is_object() ? listed->as_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_array() || data->as_array().empty())
    return std::string();
  return graph::id_string(data->as_array()[0].as_object().if_contains("id"));
}

// The id of a post newer than the baseline that matches this post, or "" when none.
Result<std::string> Publisher::find_our_post() {
  auto call = ctx_.make_call(Method::get, "/" + user() + (is_reply() ? "/replies" : "/threads"),
                             Operation::read, token());
  call.params = {{"fields", "id,text,media_type"}, {"limit", "25"}};
  auto listed = account_.call(call);
  if (!listed)
    return with_key(to_error(std::move(listed).error()), key_, "verifying");
  const json::value *data = listed->is_object() ? listed->as_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_array())
    return std::string();
  for (const auto &post : data->as_array()) {
    if (!post.is_object())
      continue;
    const json::object &p = post.as_object();
    const std::string id = graph::id_string(p.if_contains("id"));
    if (!cp_.baseline_post_id.empty() && id == cp_.baseline_post_id)
      break; // older than ours
    const json::value *text = p.if_contains("text");
    const json::value *type = p.if_contains("media_type");
    const std::string post_text =
        text != nullptr && text->is_string() ? std::string(text->as_string()) : "";
    const bool type_ok =
        type == nullptr || !type->is_string() || type->as_string() == read_media_type(in_.shape());
    if (type_ok && post_text == in_.text)
      return id;
  }
  return std::string();
}

// Whether the post went out after all: the container says PUBLISHED, or a matching post
// newer than the baseline exists. An error means the outcome is still unknown.
Result<bool> Publisher::verify_published() {
  ctx_.progress("verifying", "the last publish request has no known outcome", elapsed());
  verified_ = true;
  if (!cp_.container_id.empty() && !in_.auto_publish_text) {
    auto call = ctx_.make_call(Method::get, "/" + cp_.container_id, Operation::read, token());
    call.params = {{"fields", "id,status"}};
    auto status = account_.call(call);
    if (!status)
      return with_key(to_error(std::move(status).error()), key_, "verifying");
    const json::value *s =
        status->is_object() ? status->as_object().if_contains("status") : nullptr;
    if (s != nullptr && s->is_string() &&
        parse_state(s->as_string()) == ContainerState::published) {
      auto found = find_our_post();
      if (!found)
        return std::move(found).error();
      cp_.media_id = found->empty() ? "unknown" : found.value();
      return true;
    }
  }
  auto found = find_our_post();
  if (!found)
    return std::move(found).error();
  if (found->empty())
    return false;
  cp_.media_id = found.value();
  return true;
}

Result<std::string> Publisher::finish(std::string media_id) {
  cp_.media_id = std::move(media_id);
  cp_.published_ms = ctx_.now_ms();
  if (cp_.media_id != "unknown") {
    auto call = ctx_.make_call(Method::get, "/" + cp_.media_id, Operation::read, token());
    call.params = {{"fields", "id,permalink"}};
    if (auto media = account_.call(call); media && media->is_object()) {
      if (const json::value *p = media->as_object().if_contains("permalink");
          p != nullptr && p->is_string()) {
        cp_.permalink = std::string(p->as_string());
      }
    }
  }
  // Published is final whatever happens to this write: a failed save is reported in the
  // log, and the next call with this key finds the post by verification.
  if (auto s = save(); !s) {
    ctx_.log(AH_LOG_ERROR, "the post was published but its record could not be saved",
             json::serialize(json::object{{"media_id", cp_.media_id}, {"idempotency_key", key_}}));
  }
  ctx_.progress("published", cp_.media_id, elapsed());
  return result_json();
}

std::string Publisher::result_json() const {
  json::array children;
  for (const auto &c : cp_.children)
    children.emplace_back(c);
  json::object out{{"id", cp_.media_id},
                   {"permalink", cp_.permalink},
                   {"account", account_.name()},
                   {"shape", shape_name(in_.shape())},
                   {"container_id", cp_.container_id},
                   {"children", std::move(children)},
                   {"idempotency_key", key_},
                   {"resumed", resumed_},
                   {"verified", verified_},
                   {"publish_attempts", cp_.publish_attempts}};
  return json::serialize(out);
}

// auto_publish_text: creating the container is the publish, so it gets the publish rules.
Result<std::string> Publisher::publish_text_at_creation() {
  cp_.publish_sent_ms = ctx_.now_ms();
  ++cp_.publish_attempts;
  if (auto s = save(); !s)
    return std::move(s).error();
  auto call =
      ctx_.make_call(Method::post, "/" + user() + "/threads", Operation::create_container, token());
  call.params = post_container_params(in_, {});
  call.idempotent = false;
  auto created = account_.call_once(call);
  if (created) {
    return finish(
        graph::id_string(created->is_object() ? created->as_object().if_contains("id") : nullptr));
  }
  graph::Failure f = std::move(created).error();
  const bool answered_4xx = f.graph && f.graph->http_status >= 400 && f.graph->http_status < 500;
  if (f.delivery == http::Delivery::not_sent || answered_4xx) {
    cp_.publish_sent_ms = 0;
    if (auto s = save(); !s)
      return std::move(s).error();
    return with_key(std::move(f.error), key_, "publishing");
  }
  auto published = verify_published();
  if (!published)
    return std::move(published).error();
  if (published.value())
    return finish(cp_.media_id);
  cp_.publish_sent_ms = 0;
  if (auto s = save(); !s)
    return std::move(s).error();
  return with_key(std::move(f.error), key_, "publishing");
}

Result<std::string> Publisher::publish() {
  for (;;) {
    if (attempts_this_call_ >= max_publish_attempts) {
      return with_key(plain(AH_RETRY_LATER, "publish_failed",
                            "publishing failed " + std::to_string(attempts_this_call_) +
                                " times; call again with the same idempotency key later"),
                      key_, "publishing");
    }
    cp_.publish_sent_ms = ctx_.now_ms();
    ++cp_.publish_attempts;
    ++attempts_this_call_;
    if (auto s = save(); !s)
      return std::move(s).error();
    ctx_.progress("publishing", cp_.container_id, elapsed());
    auto call = ctx_.make_call(Method::post, "/" + user() + "/threads_publish", Operation::publish,
                               token());
    call.params = {{"creation_id", cp_.container_id}};
    call.idempotent = false; // never retried by the HTTP layer, nor after a rejected token
    auto published = account_.call_once(call);
    if (published) {
      return finish(graph::id_string(
          published->is_object() ? published->as_object().if_contains("id") : nullptr));
    }
    graph::Failure f = std::move(published).error();
    const bool not_ready =
        f.graph && f.graph->code.value_or(0) == 24 && f.graph->subcode.value_or(0) == 4279009;
    const bool answered_4xx = f.graph && f.graph->http_status >= 400 && f.graph->http_status < 500;
    if (not_ready || f.delivery == http::Delivery::not_sent || answered_4xx) {
      // Definitely not published by this request: safe to clear the mark.
      cp_.publish_sent_ms = 0;
      if (auto s = save(); !s)
        return std::move(s).error();
      if (!not_ready)
        return with_key(std::move(f.error), key_, "publishing");
      // "Not found" at publish: the container may not be visible yet, or may have been
      // published already by an attempt whose answer was lost. Its status decides.
      std::string error_message;
      auto state = wait_for_container(error_message, wait_rules().interval_s);
      if (!state)
        return std::move(state).error();
      if (state.value() == ContainerState::finished)
        continue;
      if (state.value() == ContainerState::published) {
        auto verified = verify_published();
        if (!verified)
          return std::move(verified).error();
        return finish(cp_.media_id.empty() ? "unknown" : cp_.media_id);
      }
      return with_key(std::move(f.error), key_, "publishing");
    }
    // 5xx, a timeout or a reset after sending: the post may exist.
    auto verified = verify_published();
    if (!verified)
      return std::move(verified).error();
    if (verified.value())
      return finish(cp_.media_id);
    cp_.publish_sent_ms = 0;
    if (auto s = save(); !s)
      return std::move(s).error();
    if (!ctx_.wait(wait_rules().interval_s))
      return with_key(std::move(f.error), key_, "publishing");
  }
}

Result<std::string> Publisher::run() {
  auto loaded = store_.load();
  if (!loaded)
    return std::move(loaded).error();
  if (loaded.value()) {
    cp_ = std::move(*loaded.value());
    resumed_ = true;
    if (cp_.input_digest != normalized_) {
      return plain(AH_CONFLICT, "idempotency_key_reused",
                   "idempotency key '" + key_ + "' was already used for a different post");
    }
    if (!cp_.media_id.empty())
      return result_json();
  } else {
    cp_.input_digest = normalized_;
    if (auto s = save(); !s)
      return std::move(s).error();
  }

  if (cp_.publish_sent_ms != 0) {
    // A previous attempt sent the publish and never learned the outcome.
    auto verified = verify_published();
    if (!verified)
      return std::move(verified).error();
    if (verified.value())
      return finish(cp_.media_id);
    cp_.publish_sent_ms = 0;
    if (auto s = save(); !s)
      return std::move(s).error();
  }

  if (in_.auto_publish_text)
    return publish_text_at_creation();

  for (int round = 0; round < max_container_rounds; ++round) {
    if (cp_.container_id.empty()) {
      if (auto made = create_containers(); !made)
        return std::move(made).error();
    }
    // The first check comes first_check_s after creation; a container made by an earlier
    // call (perhaps a day ago, now EXPIRED) is checked at once.
    const double age_s = static_cast<double>(ctx_.now_ms() - cp_.container_created_ms) / 1000.0;
    const double first_wait = cp_.container_created_ms == 0
                                  ? wait_rules().first_check_s
                                  : std::max(0.0, wait_rules().first_check_s - age_s);
    std::string error_message;
    auto state = wait_for_container(error_message, first_wait);
    if (!state)
      return std::move(state).error();
    switch (state.value()) {
    case ContainerState::finished:
      if (!cp_.baseline_taken) {
        auto baseline = newest_post_id();
        if (!baseline)
          return std::move(baseline).error();
        cp_.baseline_post_id = baseline.value();
        cp_.baseline_taken = true;
      }
      if (auto quota = check_quota(); !quota)
        return std::move(quota).error();
      return publish();
    case ContainerState::published: {
      // Published by an earlier attempt whose answer was lost.
      auto verified = verify_published();
      if (!verified)
        return std::move(verified).error();
      return finish(cp_.media_id.empty() ? "unknown" : cp_.media_id);
    }
    case ContainerState::error: {
      const graph::Verdict v = graph::classify_container_error(error_message);
      json::object body{
          {"code", v.code},
          {"message", "Threads could not process the media (" + error_message + "): " + v.advice},
          {"container_id", cp_.container_id},
          {"idempotency_key", key_}};
      if (v.status != AH_RETRY_LATER)
        return Error{v.status, json::serialize(body)};
      [[fallthrough]];
    }
    case ContainerState::expired:
    case ContainerState::unknown:
      // A fresh set of containers; the old ones can never be published by mistake since
      // only the recorded container id is ever published.
      ctx_.log(AH_LOG_INFO, "starting over with new containers",
               json::serialize(json::object{{"idempotency_key", key_}, {"error", error_message}}));
      cp_.container_id.clear();
      cp_.children.clear();
      cp_.baseline_taken = false;
      if (auto s = save(); !s)
        return std::move(s).error();
      break;
    case ContainerState::in_progress:
      break;
    }
  }
  return with_key(plain(AH_RETRY_LATER, "containers_failed",
                        "Threads failed to process the media several times; try again later"),
                  key_, "processing");
}

} // namespace

Result<std::string> run_post(const ActionContext &ctx, std::string_view input_json) {
  auto input = parse_post_input(input_json);
  if (!input)
    return std::move(input).error();
  std::string key(ctx.call.idempotency_key());
  if (key.empty())
    key = random_key();
  if (auto valid = validate_idempotency_key(key); !valid)
    return std::move(valid).error();
  auto account = ActingAccount::load(ctx);
  if (!account)
    return std::move(account).error();
  boost::system::error_code ec;
  const json::value parsed = json::parse(input_json, ec);
  Publisher publisher(ctx, std::move(input).value(),
                      ec ? std::string(input_json) : json::serialize(parsed),
                      std::move(account).value(), std::move(key));
  return publisher.run();
}

} // namespace threads::actions
