// The `token_status` action: expiry, age, refresh times and risks of one or all accounts.
#include "actions/input_reader.hpp"
#include "actions/token_actions.hpp"
#include "auth/json_seconds.hpp"
#include "auth/refresh_policy.hpp"
#include "auth/time_text.hpp"
#include "auth/token_endpoints.hpp"
#include "plain_number.hpp"

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {

json::value time_or_null(std::int64_t ms) {
  return ms == 0 ? json::value(nullptr) : json::value(auth::iso8601(ms));
}

// What happens next to the account, for people and for a scheduler.
std::string_view next_step(const auth::RefreshDecision &d) {
  if (d.reason == "needs_reauth" || d.reason == "expired")
    return "reauthorise";
  if (d.action == auth::RefreshAction::refresh)
    return "refresh_due";
  if (d.reason == "in_progress")
    return "refreshing";
  if (d.reason == "short_lived")
    return "import_long_lived_token";
  return "wait";
}

json::object status_of(const auth::StoredAccount &a, const auth::RefreshRules &rules,
                       std::int64_t now, const std::vector<std::int64_t> &scheduled) {
  const auth::TokenRecord &r = a.record;
  const auth::RefreshDecision d = auth::decide_refresh(r, now, rules);
  const bool dead = d.reason == "needs_reauth" || d.reason == "expired";
  json::object o{{"account", a.name},
                 {"app", r.app},
                 {"user_id", r.user_id},
                 {"username", r.username},
                 {"status", dead ? "needs_reauth" : "active"},
                 {"kind", r.kind == auth::TokenKind::long_lived ? "long" : "short"},
                 {"issued_at", time_or_null(r.issued_at_ms)},
                 {"expires_at", time_or_null(r.expires_at_ms)},
                 {"age_s", r.issued_at_ms == 0 ? json::value(nullptr)
                                               : json::value((now - r.issued_at_ms) / 1000)},
                 {"expires_in_s", r.expires_at_ms == 0
                                      ? json::value(nullptr)
                                      : json::value((r.expires_at_ms - now) / 1000)},
                 {"refreshable_from", time_or_null(d.refreshable_from_ms)},
                 {"refreshable_until", time_or_null(d.refreshable_until_ms)},
                 {"refresh_due_from", time_or_null(dead ? 0 : d.due_from_ms)},
                 {"next", next_step(d)},
                 {"reason", d.reason},
                 {"last_refresh_at", time_or_null(r.last_refresh_ms)},
                 {"last_refresh_attempt_at", time_or_null(r.last_refresh_attempt_ms)},
                 {"last_refresh_error", r.last_refresh_error},
                 {"refresh_in_progress", r.claim_fresh(now, rules.claim_lease_ms)},
                 {"has_previous_token", !r.previous_token.empty()},
                 {"scopes", [&] {
                    json::array s;
                    for (const auto &scope : r.scopes)
                      s.emplace_back(scope);
                    return s;
                  }()}};
  if (dead)
    o["fix"] =
        "autohost invoke threads.auth_url --account " + a.name + ", then threads.exchange_code";
  if (!scheduled.empty()) {
    json::array items;
    int at_risk = 0;
    for (std::int64_t at : scheduled) {
      std::string risk = "none", why;
      if (dead) {
        risk = "needs_reauth";
        why = "the account must be re-authorised before this can run";
      } else if (r.expires_at_ms != 0 && at >= r.expires_at_ms) {
        risk = "expires_before";
        why = "the token expires at " + auth::iso8601(r.expires_at_ms) +
              ", before this; the refresh_tokens job refreshes it from " +
              auth::iso8601(d.due_from_ms) + " if it runs";
      }
      if (risk != "none")
        ++at_risk;
      json::object item{{"at", auth::iso8601(at)}, {"risk", risk}};
      if (!why.empty())
        item["message"] = why;
      items.push_back(std::move(item));
    }
    o["scheduled"] = std::move(items);
    o["at_risk"] = at_risk;
  }
  return o;
}

} // namespace

Result<std::string> run_token_status(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("token_status", input));
  std::string account;
  AH_TRY_ASSIGN(account, r.string("account"));
  std::vector<std::int64_t> scheduled;
  if (const json::value *s = r.raw("scheduled")) {
    if (!s->is_array())
      return field_error("token_status", "scheduled", "must be a list of times");
    for (std::size_t i = 0; i < s->as_array().size(); ++i) {
      const json::value &t = s->as_array()[i];
      std::optional<std::int64_t> ms;
      if (t.is_number()) {
        if (const auto secs = auth::json_seconds(t))
          ms = *secs * 1000;
      }
      if (t.is_string())
        ms = auth::parse_time_ms(t.as_string());
      if (!ms) {
        return field_error("token_status", "scheduled[" + std::to_string(i) + "]",
                           "must be Unix seconds or an ISO 8601 time with a zone");
      }
      scheduled.push_back(*ms);
    }
  }
  AH_TRY(r.no_unknown_fields());
  if (account.empty())
    account = std::string(ctx.call.account());

  std::vector<std::string> names;
  if (!account.empty() || !scheduled.empty()) {
    AH_TRY_DECLARE(one, ctx.accounts.load(account, auth::Usability::any));
    names.push_back(one.name);
  } else {
    AH_TRY_ASSIGN(names, ctx.accounts.names());
  }
  const auth::RefreshRules rules = ctx.refresh_rules();
  const std::int64_t now = ctx.now_ms();
  json::array accounts;
  for (const auto &name : names) {
    auto a = ctx.accounts.load(name, auth::Usability::any);
    if (!a) {
      accounts.push_back(json::object{
          {"account", name}, {"status", "damaged"}, {"error", auth::error_message(a.error())}});
      continue;
    }
    accounts.push_back(status_of(a.value(), rules, now, scheduled));
  }
  return json::serialize(json::object{
      {"now", auth::iso8601(now)},
      {"refresh_window_days", plain_number(static_cast<double>(rules.window_ms) / auth::day_ms)},
      {"accounts", std::move(accounts)}});
}

} // namespace threads::actions
