// Inside the `post` action: sending the publish once, pacing it while Threads answers "not
// ready yet", and verifying a publish whose answer was lost.
#include "actions/container_params.hpp"
#include "actions/own_posts.hpp"
#include "actions/publish_flow.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace threads::actions::publish_flow {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;
using graph::Operation;
using http::Method;

namespace {

// Publishes whose outcome was unknown and turned out not to have happened (5xx, resets):
// after this many in one call the call gives up; a later call with the key tries again.
constexpr int max_failed_publishes = 3;
// The pause between publishes answered 24/4279009 doubles up to this.
constexpr double max_publish_backoff_s = 15;
// Verification pages back through the own posts at most this far (20 x 25 posts).
constexpr int max_verify_pages = 20;
constexpr int verify_page_size = 25;
// Server and host clocks may disagree; a post this much older than the container still
// counts as possibly ours.
constexpr std::int64_t clock_slack_ms = 10 * 60 * 1000;

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

OwnPostList list_of(bool reply) { return reply ? OwnPostList::replies : OwnPostList::posts; }

} // namespace

Result<std::string> Publisher::newest_post_id() {
  std::string newest;
  OwnPostQuery query{list_of(is_reply()), {{"limit", "1"}}, 1};
  auto listed = for_each_own_post(ctx_, account_, query, [&](const OwnPost &p) {
    newest = p.id;
    return false;
  });
  if (!listed)
    return with_key(to_error(std::move(listed).error()), key_, "publishing");
  return newest;
}

// The id of a post newer than the baseline that matches this post, or "" when none. Pages
// back until the posts are older than the container (or the baseline), within a bound, so
// a post followed by many others is still found.
Result<std::string> Publisher::find_our_post() {
  const std::int64_t made_ms =
      cp_.container_created_ms != 0 ? cp_.container_created_ms : cp_.publish_sent_ms;
  const std::int64_t oldest_ms = made_ms != 0 ? made_ms - clock_slack_ms : 0;
  std::string found;
  OwnPostQuery query{
      list_of(is_reply()), {{"limit", std::to_string(verify_page_size)}}, max_verify_pages};
  auto listed = for_each_own_post(ctx_, account_, query, [&](const OwnPost &p) {
    if (!cp_.baseline_post_id.empty() && p.id == cp_.baseline_post_id)
      return false; // older than ours
    if (oldest_ms != 0 && p.timestamp_ms != 0 && p.timestamp_ms < oldest_ms)
      return false; // older than the container: ours cannot come after this
    const bool type_ok = p.media_type.empty() || p.media_type == read_media_type(in_.shape());
    if (type_ok && p.text == in_.text) {
      found = p.id;
      return false;
    }
    return true;
  });
  if (!listed)
    return with_key(to_error(std::move(listed).error()), key_, "verifying");
  return found;
}

// Whether the post went out after all: the container says PUBLISHED, or a matching post
// newer than the baseline exists. An error means the outcome is still unknown.
Result<bool> Publisher::verify_published() {
  ctx_.progress("verifying", "the last publish request has no known outcome", elapsed());
  verified_ = true;
  if (!cp_.container_id.empty() && !in_.auto_publish_text) {
    auto call = ctx_.make_call(Method::get, "/" + cp_.container_id, Operation::read, {});
    call.params = {{"fields", "id,status"}};
    auto status = account_.call(call);
    if (!status)
      return with_key(to_error(std::move(status).error()), key_, "verifying");
    const json::value *s =
        status->is_object() ? status->as_object().if_contains("status") : nullptr;
    if (s != nullptr && s->is_string() &&
        parse_state(s->as_string()) == ContainerState::published) {
      std::string found;
      AH_TRY_ASSIGN(found, find_our_post());
      cp_.media_id = found.empty() ? "unknown" : found;
      return true;
    }
  }
  std::string found;
  AH_TRY_ASSIGN(found, find_our_post());
  if (found.empty())
    return false;
  cp_.media_id = std::move(found);
  return true;
}

// A publish whose outcome is unknown: the result of the call when verification finds the
// post, else nullopt once the mark is cleared (it did not go out: sending again is safe).
Result<std::optional<std::string>> Publisher::settle_unknown_publish() {
  AH_TRY_DECLARE(published, verify_published());
  if (published) {
    AH_TRY_DECLARE(result, finish(cp_.media_id));
    return std::optional<std::string>(std::move(result));
  }
  AH_TRY(clear_publish_mark());
  return std::optional<std::string>();
}

// No publish is out: the next call need not verify before publishing.
Result<autohost::Done> Publisher::clear_publish_mark() {
  cp_.publish_sent_ms = 0;
  return save();
}

Result<std::string> Publisher::finish(std::string media_id) {
  cp_.media_id = std::move(media_id);
  cp_.published_ms = ctx_.now_ms();
  if (cp_.media_id != "unknown") {
    auto call = ctx_.make_call(Method::get, "/" + cp_.media_id, Operation::read, {});
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
  AH_TRY(save());
  auto call =
      ctx_.make_call(Method::post, "/" + user() + "/threads", Operation::create_container, {});
  call.params = post_container_params(in_, {});
  call.idempotent = false;
  auto created = account_.call_once(call);
  if (created) {
    return finish(
        graph::id_string(created->is_object() ? created->as_object().if_contains("id") : nullptr));
  }
  graph::Failure f = std::move(created).error();
  const bool answered_4xx = f.graph && f.graph->http_status >= 400 && f.graph->http_status < 500;
  if (f.delivery != http::Delivery::not_sent && !answered_4xx) {
    AH_TRY_DECLARE(settled, settle_unknown_publish());
    if (settled)
      return std::move(*settled);
  } else {
    AH_TRY(clear_publish_mark());
  }
  return with_key(std::move(f.error), key_, "publishing");
}

// Sends the publish until it is answered. 24/4279009 right after creation means "not ready
// yet" even for a FINISHED container (field reports; Meta advises waiting ~30 s): the
// publish is sent again with doubling pauses until the media type's publish_budget_s is
// spent - a time budget, so a server that needs 3 s or 20 s is waited for, not a count.
Result<std::string> Publisher::publish() {
  const double budget_end = elapsed() + wait_rules().publish_budget_s;
  double backoff = wait_rules().interval_s;
  int failed = 0;
  for (;;) {
    cp_.publish_sent_ms = ctx_.now_ms();
    ++cp_.publish_attempts;
    AH_TRY(save());
    ctx_.progress("publishing", cp_.container_id, elapsed());
    auto call =
        ctx_.make_call(Method::post, "/" + user() + "/threads_publish", Operation::publish, {});
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
      AH_TRY(clear_publish_mark());
      if (!not_ready)
        return with_key(std::move(f.error), key_, "publishing");
      // "Not found" at publish: not ready yet, or published already by an attempt whose
      // answer was lost. The container's status decides.
      std::string error_message;
      ContainerState state{};
      AH_TRY_ASSIGN(state, wait_for_container(error_message, 0));
      if (state == ContainerState::published) {
        AH_TRY(verify_published());
        return finish(cp_.media_id.empty() ? "unknown" : cp_.media_id);
      }
      if (state != ContainerState::finished)
        return with_key(std::move(f.error), key_, "publishing");
      const double left = budget_end - elapsed();
      if (left <= 0) {
        return with_key(plain(AH_RETRY_LATER, "publish_not_ready",
                              "Threads still answered 'not ready' (24/4279009) after " +
                                  std::to_string(static_cast<int>(wait_rules().publish_budget_s)) +
                                  " s of publishing; call again with the same idempotency key "
                                  "to resume"),
                        key_, "publishing");
      }
      if (!ctx_.wait(std::min(backoff, left)))
        return stopped_publishing();
      backoff = std::min(backoff * 2, max_publish_backoff_s);
      continue;
    }
    // 5xx, a timeout or a reset after sending: the post may exist.
    AH_TRY_DECLARE(settled, settle_unknown_publish());
    if (settled)
      return std::move(*settled);
    if (++failed >= max_failed_publishes) {
      return with_key(plain(AH_RETRY_LATER, "publish_failed",
                            "publishing failed " + std::to_string(failed) +
                                " times; call again with the same idempotency key later"),
                      key_, "publishing");
    }
    if (!ctx_.wait(wait_rules().interval_s))
      return stopped_publishing();
  }
}

// The caller cancelled or its deadline passed between publish attempts: AH_CANCELLED, as
// abi.h says; the same key resumes (the checkpoint says whether a publish may be out).
Error Publisher::stopped_publishing() const {
  return with_key(plain(AH_CANCELLED, ctx_.stop_code(),
                        "stopped between publish attempts; call again with the same "
                        "idempotency key to resume"),
                  key_, "publishing");
}

} // namespace threads::actions::publish_flow
