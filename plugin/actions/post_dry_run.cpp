// The `post` action's dry run: reads only, so a later real post starts from nothing.
#include "actions/post_dry_run.hpp"

#include "actions/input_reader.hpp"
#include "actions/publish_checkpoint.hpp"
#include "actions/publish_quota.hpp"

#include <boost/json.hpp>

#include <optional>

namespace threads::actions {
namespace json = boost::json;
using autohost::Result;

namespace {

// A post the account cannot see cannot be replied to or quoted; Threads would refuse the
// container. Reading it is the check without side effects.
Result<autohost::Done> check_target(const ActionContext &ctx, ActingAccount &account,
                                    std::string_view field, const std::string &id) {
  if (id.empty())
    return autohost::Done{};
  auto call = ctx.make_call(http::Method::get, "/" + id, graph::Operation::read, {});
  call.params = {{"fields", "id"}};
  auto found = account.call(call);
  if (found)
    return autohost::Done{};
  autohost::Error error = to_error(std::move(found).error());
  if (error.status != AH_NOT_FOUND)
    return error;
  return field_error("post", field,
                     "names post " + id +
                         ", which does not exist or is not visible to the account");
}

json::value quota_json(const std::optional<QuotaUse> &use, QuotaKind kind) {
  if (!use)
    return nullptr;
  return json::object{{"kind", kind == QuotaKind::replies ? "replies" : "posts"},
                      {"used", use->used},
                      {"total", use->total},
                      {"left", use->total - use->used}};
}

} // namespace

Result<std::string> dry_run_post(const ActionContext &ctx, ActingAccount &account,
                                 const DryRunPost &post) {
  const PostInput &in = post.input;
  json::object out{{"dry_run", true},
                   {"account", account.name()},
                   {"shape", shape_name(in.shape())},
                   {"post", post.post}};
  bool resumes = false;
  if (!post.key.empty()) {
    out["idempotency_key"] = post.key;
    // Loading writes nothing; only a save would claim the key.
    CheckpointStore store(ctx.host, account.name(), post.key);
    AH_TRY_DECLARE(stored, store.load());
    if (stored && stored->input_sha256 != post.input_sha256)
      return key_reused_error(post.key);
    if (stored && !stored->media_id.empty()) {
      // The real call would return this post and send nothing.
      out["already_published"] =
          json::object{{"id", stored->media_id}, {"permalink", stored->permalink}};
      out["message"] = "dry run: this key already published the post; nothing would be sent";
      return json::serialize(out);
    }
    resumes = stored.has_value();
  }
  out["resumes"] = resumes;
  AH_TRY(check_target(ctx, account, "reply_to_id", in.reply_to_id));
  AH_TRY(check_target(ctx, account, "quote_post_id", in.quote_post_id));
  const QuotaKind kind = in.reply_to_id.empty() ? QuotaKind::posts : QuotaKind::replies;
  AH_TRY_DECLARE(
      use, check_publishing_quota(ctx, account, kind, post.key, QuotaRead::account_must_answer));
  out["quota"] = quota_json(use, kind);
  out["message"] = use ? "dry run: the post can go out now; nothing was created or published"
                       : "dry run: nothing was created or published; the quota could not be "
                         "read, so the publish may still be refused for it";
  return json::serialize(out);
}

} // namespace threads::actions
