// Crash-safe token rotation with compare-and-set writes.
#include "auth/rotation.hpp"

#include "auth/time_text.hpp"

#include <boost/json.hpp>

#include <random>

namespace threads::auth {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

namespace {
constexpr int max_cas_rounds = 32;
}

std::string_view to_string(RotationOutcome o) {
  switch (o) {
  case RotationOutcome::claimed:
    return "claimed";
  case RotationOutcome::refreshed:
    return "refreshed";
  case RotationOutcome::adopted:
    return "adopted";
  case RotationOutcome::failed:
    return "failed";
  case RotationOutcome::needs_reauth:
    return "needs_reauth";
  case RotationOutcome::skipped:
    return "skipped";
  }
  return "skipped";
}

std::string new_claimant() {
  std::random_device rd;
  const std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32U) | rd();
  char buf[24];
  std::snprintf(buf, sizeof buf, "r-%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string reauthorise_command(std::string_view account) {
  return "autohost invoke threads.auth_url --account " + std::string(account) +
         ", open the URL, then autohost invoke threads.exchange_code --input "
         "'{\"code\": \"<the redirect URL>\"}'";
}

Error needs_reauth_error(std::string_view account, std::string_view why) {
  json::object body{{"code", "needs_reauth"},
                    {"account", account},
                    {"message", "account '" + std::string(account) + "' must be re-authorised (" +
                                    std::string(why) +
                                    "); re-authorise it: " + reauthorise_command(account)},
                    {"fix", reauthorise_command(account)}};
  return Error{AH_AUTH_REQUIRED, json::serialize(body)};
}

Rotation::Rotation(autohost::HostServices host, RefreshRules rules, std::string claimant)
    : host_(host), accounts_(host), rules_(rules), claimant_(std::move(claimant)) {}

Result<bool> Rotation::update(StoredAccount &account,
                              const std::function<Step(TokenRecord &)> &change) const {
  for (int round = 0; round < max_cas_rounds; ++round) {
    TokenRecord next = account.record;
    if (change(next) == Step::stop)
      return false;
    auto saved = accounts_.save(account.name, next, account.version);
    if (saved) {
      account.record = std::move(next);
      account.version = saved.value();
      return true;
    }
    if (saved.error().status != AH_CONFLICT)
      return std::move(saved).error();
    AH_TRY_ASSIGN(account, accounts_.load(account.name, Usability::any));
  }
  return Error::make(AH_CONFLICT, "account '" + account.name +
                                      "': its record kept changing under this process; try again");
}

void Rotation::warn_needs_reauth(const std::string &account, const std::string &reason) const {
  host_.log(AH_LOG_WARN, "Threads account needs re-authorisation",
            json::serialize(json::object{
                {"account", account}, {"reason", reason}, {"fix", reauthorise_command(account)}}));
}

Result<bool> Rotation::update(StoredAccount &account, Decided &decided,
                              const Change &change) const {
  return update(account, [&](TokenRecord &r) { return change(r, decided); });
}

Result<RotationResult> Rotation::finish(const StoredAccount &account, const Decided &decided,
                                        Result<bool> written) const {
  AH_TRY_DECLARE(wrote, std::move(written));
  if (wrote && decided.newly_dead)
    warn_needs_reauth(account.name, account.record.last_refresh_error);
  return decided.result;
}

Result<RotationResult> Rotation::claim(StoredAccount &account, Urgency urgency) const {
  Decided decided;
  auto written = update(account, decided, claim_change(account.record.access_token, urgency));
  return finish(account, decided, std::move(written));
}

Result<RotationResult> Rotation::store_refreshed(StoredAccount &account,
                                                 const std::string &refreshed_from,
                                                 const TokenAnswer &answer) const {
  Decided decided;
  auto written = update(account, decided, refreshed_change(refreshed_from, answer));
  return finish(account, decided, std::move(written));
}

Result<RotationResult> Rotation::store_failure(StoredAccount &account,
                                               const std::string &refreshed_from,
                                               RefreshFailure kind,
                                               const std::string &message) const {
  Decided decided;
  auto written = update(account, decided, failure_change(refreshed_from, kind, message));
  return finish(account, decided, std::move(written));
}

Result<RotationResult> Rotation::mark_expired(StoredAccount &account) const {
  RotationResult result{RotationOutcome::needs_reauth, {}};
  const auto mark = [&](TokenRecord &r) {
    if (r.status == AccountStatus::needs_reauth) {
      result.reason = r.last_refresh_error;
      return Step::stop; // marked already (and warned then)
    }
    if (!r.expired(now_ms())) {
      result = {RotationOutcome::adopted, "another process stored a new token"};
      return Step::stop;
    }
    r.status = AccountStatus::needs_reauth;
    r.last_refresh_error = "the token expired at " + iso8601(r.expires_at_ms) +
                           " before it was refreshed; an expired token can never be refreshed";
    result.reason = r.last_refresh_error;
    return Step::write;
  };
  AH_TRY_DECLARE(wrote, update(account, mark));
  if (wrote)
    warn_needs_reauth(account.name, result.reason);
  return result;
}

Result<autohost::Done> Rotation::forget_previous_token(StoredAccount &account) const {
  const std::string used = account.record.access_token;
  AH_TRY(update(account, [&](TokenRecord &r) {
    if (r.access_token != used || r.previous_token.empty())
      return Step::stop;
    r.previous_token.clear();
    r.previous_expires_at_ms = 0;
    return Step::write;
  }));
  return autohost::Done{};
}

} // namespace threads::auth
