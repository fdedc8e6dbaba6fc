// Pending OAuth authorisations in the host's secret store.
#include "auth/pending_authorisations.hpp"

#include "auth/secret_listing.hpp"

#include <boost/json.hpp>

namespace threads::auth {
namespace json = boost::json;

namespace {

std::string pending_key(std::string_view state) {
  return std::string(pending_prefix) + std::string(state);
}

} // namespace

std::string to_json(const PendingAuthorisation &p) {
  json::array scopes;
  for (const auto &s : p.scopes)
    scopes.emplace_back(s);
  return json::serialize(json::object{{"account", p.account},
                                      {"app", p.app},
                                      {"redirect_uri", p.redirect_uri},
                                      {"scopes", std::move(scopes)},
                                      {"created_at_ms", p.created_at_ms}});
}

std::optional<PendingAuthorisation> pending_from_json(std::string_view text) {
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object())
    return std::nullopt;
  const json::object &o = doc.as_object();
  PendingAuthorisation p;
  auto str = [&](std::string_view k, std::string &out) {
    const json::value *v = o.if_contains(k);
    if (v == nullptr || !v->is_string())
      return false;
    out = std::string(v->as_string());
    return true;
  };
  if (!str("account", p.account) || !str("app", p.app) || !str("redirect_uri", p.redirect_uri)) {
    return std::nullopt;
  }
  if (const json::value *c = o.if_contains("created_at_ms"); c != nullptr && c->is_int64()) {
    p.created_at_ms = c->as_int64();
  }
  if (const json::value *s = o.if_contains("scopes"); s != nullptr && s->is_array()) {
    for (const auto &scope : s->as_array()) {
      if (scope.is_string())
        p.scopes.emplace_back(scope.as_string());
    }
  }
  return p;
}

autohost::Result<autohost::Done>
PendingAuthorisations::add(std::string_view state, const PendingAuthorisation &pending) const {
  AH_TRY(host_.secret_put(pending_key(state), to_json(pending), 0));
  return autohost::Done{};
}

autohost::Result<std::optional<StoredPending>>
PendingAuthorisations::find(std::string_view state) const {
  AH_TRY_DECLARE(secret, host_.secret_get(pending_key(state)));
  if (!secret)
    return std::optional<StoredPending>{};
  auto record = pending_from_json(secret->value);
  if (!record)
    return std::optional<StoredPending>{};
  return std::optional<StoredPending>{
      StoredPending{std::string(state), std::move(*record), secret->version}};
}

autohost::Result<std::vector<std::string>> PendingAuthorisations::states() const {
  AH_TRY_DECLARE(listed, host_.secret_list(pending_prefix));
  return listed_names(listed, pending_prefix, false);
}

autohost::Result<std::vector<StoredPending>>
PendingAuthorisations::live(std::int64_t now_ms) const {
  AH_TRY_DECLARE(all, states());
  std::vector<StoredPending> out;
  for (const auto &state : all) {
    AH_TRY_DECLARE(found, find(state));
    if (found && !expired(found->record, now_ms))
      out.push_back(std::move(*found));
  }
  return out;
}

void PendingAuthorisations::forget(const StoredPending &pending) const {
  (void)host_.secret_delete(pending_key(pending.state), pending.version);
}

void PendingAuthorisations::forget_expired(std::int64_t now_ms) const {
  auto all = states();
  if (!all)
    return;
  for (const auto &state : *all) {
    auto secret = host_.secret_get(pending_key(state));
    if (!secret || !secret.value())
      continue;
    const auto pending = pending_from_json(secret.value()->value);
    if (!pending || expired(*pending, now_ms))
      (void)host_.secret_delete(pending_key(state), secret.value()->version);
  }
}

} // namespace threads::auth
