// The publishing quota, read before a post creates anything.
#include "actions/publish_quota.hpp"

#include "actions/own_posts.hpp"
#include "auth/time_text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>

namespace threads::actions {
namespace json = boost::json;

namespace {

constexpr std::int64_t window_ms = auth::day_ms;
constexpr std::int64_t fallback_retry_s = 3600;
// 250 posts at 100 a page; replies (1000) may not all be seen, which only makes the hint
// later than needed, never earlier.
constexpr int max_window_pages = 3;

// Far above any real quota; bounds what a hostile answer can make us cast.
constexpr double max_quota_count = 1e12;

long long count_of(const json::value &v) {
  return static_cast<long long>(std::clamp(v.to_number<double>(), 0.0, max_quota_count));
}

std::optional<QuotaUse> read_use(const json::value &answer, QuotaKind kind) {
  const json::value *data = answer.is_object() ? answer.as_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_array() || data->as_array().empty() ||
      !data->as_array()[0].is_object()) {
    return std::nullopt;
  }
  const json::object &q = data->as_array()[0].as_object();
  const json::value *usage =
      q.if_contains(kind == QuotaKind::replies ? "reply_quota_usage" : "quota_usage");
  const json::value *config = q.if_contains(kind == QuotaKind::replies ? "reply_config" : "config");
  const json::value *total = config != nullptr && config->is_object()
                                 ? config->as_object().if_contains("quota_total")
                                 : nullptr;
  if (usage == nullptr || total == nullptr || !usage->is_number() || !total->is_number())
    return std::nullopt;
  return QuotaUse{count_of(*usage), count_of(*total)};
}

// Seconds until the oldest own post of the last 24 h leaves the window; nullopt when the
// list cannot say (a failed read, or no post in the window: deleted posts still count).
std::optional<std::int64_t> seconds_until_window_frees(const ActionContext &ctx,
                                                       ActingAccount &account, QuotaKind kind) {
  const std::int64_t now = ctx.now_ms();
  OwnPostQuery query;
  query.list = kind == QuotaKind::replies ? OwnPostList::replies : OwnPostList::posts;
  query.params = {{"since", std::to_string((now - window_ms) / 1000)}, {"limit", "100"}};
  query.max_pages = max_window_pages;
  std::int64_t oldest = 0;
  auto listed = for_each_own_post(ctx, account, query, [&](const OwnPost &p) {
    if (p.timestamp_ms > 0 && p.timestamp_ms > now - window_ms &&
        (oldest == 0 || p.timestamp_ms < oldest)) {
      oldest = p.timestamp_ms;
    }
    return true;
  });
  if (!listed || oldest == 0)
    return std::nullopt;
  // Round up, so a retry at the hint finds the post gone from the window.
  return std::max<std::int64_t>(1, (oldest + window_ms - now + 999) / 1000);
}

} // namespace

autohost::Result<std::optional<QuotaUse>>
check_publishing_quota(const ActionContext &ctx, ActingAccount &account, QuotaKind kind,
                       const std::string &key, QuotaRead read) {
  auto call =
      ctx.make_call(http::Method::get, "/" + account.user_id() + "/threads_publishing_limit",
                    graph::Operation::read, {});
  // Only the fields needed: the reply fields need threads_manage_replies, which a
  // posts-only token may lack.
  call.params = {{"fields", kind == QuotaKind::replies ? "reply_quota_usage,reply_config"
                                                       : "quota_usage,config"}};
  auto limit = account.call(call);
  std::optional<QuotaUse> use;
  if (limit)
    use = read_use(*limit, kind);
  if (!limit && read == QuotaRead::account_must_answer &&
      limit.error().error.status == AH_AUTH_REQUIRED) {
    return to_error(std::move(limit).error());
  }
  if (!use) {
    ctx.log(AH_LOG_WARN, read == QuotaRead::advisory
                             ? "could not read the publishing quota; publishing anyway"
                             : "could not read the publishing quota");
    return std::optional<QuotaUse>{};
  }
  if (use->used < use->total)
    return use;
  const auto frees_in = seconds_until_window_frees(ctx, account, kind);
  const auto count = [](long long n) { return std::to_string(n); };
  json::object body{
      {"code", "quota_exhausted"},
      {"message", std::string("the account has used its ") +
                      (kind == QuotaKind::replies ? "reply" : "post") + " quota (" +
                      count(use->used) + " of " + count(use->total) +
                      " in the last 24 h); nothing was created; the post can go out when the "
                      "oldest one of the window ages out"},
      {"retry_after_s", frees_in.value_or(fallback_retry_s)},
      {"retry_after_known", frees_in.has_value()},
      {"idempotency_key", key},
      {"stage", "quota"}};
  return autohost::Error{AH_RATE_LIMITED, json::serialize(body)};
}

} // namespace threads::actions
