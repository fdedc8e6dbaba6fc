// Batched rotation steps: many accounts' compare-and-set writes in one store transaction.
#include "auth/rotation.hpp"

namespace threads::auth {
using autohost::Result;

std::vector<Result<RotationResult>> Rotation::update_many(std::vector<Batched> &items) const {
  // Every change decides on the record as read; those that write go in one batch. Records
  // are moved, not copied (a dozen strings each, twice per account in a sweep): a change
  // that declines leaves its record as it was, and is handed it back.
  std::vector<TokenRecord> next;
  next.reserve(items.size());
  std::vector<std::size_t> writing;
  for (std::size_t i = 0; i < items.size(); ++i) {
    TokenRecord &record = items[i].account->record;
    next.push_back(std::move(record));
    if (items[i].change(next[i], items[i].decided) == Step::write) {
      writing.push_back(i);
    } else {
      record = std::move(next[i]);
    }
  }
  std::vector<Accounts::Write> writes;
  writes.reserve(writing.size());
  for (std::size_t i : writing)
    writes.push_back({items[i].account->name, &next[i], items[i].account->version});
  auto saved = accounts_.save_many(writes);

  std::vector<std::optional<Result<bool>>> written(items.size());
  for (std::size_t k = 0; k < writing.size(); ++k) {
    Batched &item = items[writing[k]];
    StoredAccount &account = *item.account;
    if (saved[k]) {
      account.record = std::move(next[writing[k]]);
      account.version = saved[k].value();
      written[writing[k]] = Result<bool>(true);
    } else if (saved[k].error().status != AH_CONFLICT) {
      // Not stored: the account holds the stored record again (as read, unless it moved on).
      if (auto stored = accounts_.load(account.name, Usability::any); stored) {
        account = std::move(stored).value();
      } else {
        account.record = std::move(next[writing[k]]); // unread: what the change made of it
      }
      written[writing[k]] = Result<bool>(std::move(saved[k]).error());
    } else if (auto fresh = accounts_.load(account.name, Usability::any); !fresh) {
      account.record = std::move(next[writing[k]]);
      written[writing[k]] = Result<bool>(std::move(fresh).error());
    } else {
      // Someone else wrote first: decide again on their record, exactly as update() does.
      account = std::move(fresh).value();
      written[writing[k]] = update(account, item.decided, item.change);
    }
  }
  std::vector<Result<RotationResult>> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    out.push_back(finish(*items[i].account, items[i].decided,
                         written[i] ? std::move(*written[i]) : Result<bool>(false)));
  }
  return out;
}

std::vector<Result<RotationResult>>
Rotation::claim_many(const std::vector<StoredAccount *> &accounts, Urgency urgency) const {
  std::vector<Batched> items;
  items.reserve(accounts.size());
  for (StoredAccount *account : accounts)
    items.push_back({account, claim_change(account->record.access_token, urgency), {}});
  return update_many(items);
}

std::vector<Result<RotationResult>>
Rotation::store_answers(const std::vector<RefreshAnswer> &answers) const {
  std::vector<Batched> items;
  items.reserve(answers.size());
  for (const RefreshAnswer &a : answers) {
    items.push_back({a.account,
                     a.token    ? refreshed_change(a.refreshed_from, *a.token)
                     : a.unsent ? release_change(a.refreshed_from)
                                : failure_change(a.refreshed_from, a.failure, a.message),
                     {}});
  }
  return update_many(items);
}

} // namespace threads::auth
