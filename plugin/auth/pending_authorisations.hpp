// The authorisations auth_url started and exchange_code has not finished yet, kept in the
// host's secret store (one value per CSRF state under threads/oauth/<state>).
#pragma once

#include <autohost/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace threads::auth {

// One started authorisation. The state is the CSRF check: a redirect whose state has no
// record here was not started by this host.
struct PendingAuthorisation {
  std::string account;
  std::string app;
  std::string redirect_uri;
  std::vector<std::string> scopes; // as asked for in the authorize URL
  std::int64_t created_at_ms = 0;
};

inline constexpr std::string_view pending_prefix = "threads/oauth/";
// Authorization codes live one hour; the user may need a while before approving.
inline constexpr std::int64_t pending_life_ms = 2LL * 3600 * 1000;

std::string to_json(const PendingAuthorisation &pending);
// nullopt for anything that is not a whole record.
std::optional<PendingAuthorisation> pending_from_json(std::string_view json);

struct StoredPending {
  std::string state;
  PendingAuthorisation record;
  std::uint64_t version = 0; // so forgetting it never removes a newer record
};

class PendingAuthorisations {
public:
  explicit PendingAuthorisations(autohost::HostServices host) : host_(host) {}

  // Remembers a new authorisation; conflict if the state exists (a state is never reused).
  autohost::Result<autohost::Done> add(std::string_view state,
                                       const PendingAuthorisation &pending) const;
  // The authorisation started with `state`; nullopt when there is none or it is unreadable.
  autohost::Result<std::optional<StoredPending>> find(std::string_view state) const;
  // Every readable authorisation younger than pending_life_ms at `now_ms`.
  autohost::Result<std::vector<StoredPending>> live(std::int64_t now_ms) const;
  // Forgets one (a used or refused state). Best effort: a record that cannot be deleted
  // expires anyway, and one that changed meanwhile is left alone.
  void forget(const StoredPending &pending) const;
  // Forgets the expired and the unreadable ones (authorisations nobody finished).
  void forget_expired(std::int64_t now_ms) const;

  static bool expired(const PendingAuthorisation &p, std::int64_t now_ms) {
    return p.created_at_ms + pending_life_ms < now_ms;
  }

private:
  autohost::Result<std::vector<std::string>> states() const;

  autohost::HostServices host_;
};

} // namespace threads::auth
