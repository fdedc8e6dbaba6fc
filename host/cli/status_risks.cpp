// Runs at risk, for `autohost status`: each plugin whose manifest declares an `accounts`
// capability is asked through that action about its accounts and about the times of the
// runs scheduled for them; one with a `quota` capability is asked about the quota of
// accounts that have runs of its `publishes` actions due within 24 hours. A plugin that
// fails to answer is reported, never fatal.
#include "cli/status_report.hpp"

#include "capabilities.hpp"
#include "cli/plugin_session.hpp"
#include "errors.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace autohost::cli {
namespace json = boost::json;
using namespace autohost::scheduler;

namespace {

constexpr std::chrono::seconds quota_window{86400};

void add_risk(UpcomingItem &item, std::string_view risk, std::string message) {
  item.risks.push_back(json::object{{"risk", risk}, {"message", std::move(message)}});
}

bool has_risk(const UpcomingItem &item, std::string_view risk) {
  return std::any_of(item.risks.begin(), item.risks.end(), [&](const json::value &r) {
    return r.as_object().at("risk").as_string() == risk;
  });
}

const json::value *path(const json::value &v, std::initializer_list<std::string_view> keys) {
  const json::value *at = &v;
  for (auto k : keys) {
    at = at->is_object() ? at->as_object().if_contains(k) : nullptr;
    if (at == nullptr)
      return nullptr;
  }
  return at;
}

std::string text_of(const json::value *v) {
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Whether the item's input has the plugin's reply field (none declared: never a reply).
bool is_reply(const UpcomingItem &item, const std::string &reply_input) {
  if (reply_input.empty())
    return false;
  boost::system::error_code ec;
  const json::value input = json::parse(item.input_json, ec);
  return !ec && path(input, {reply_input}) != nullptr;
}

// What one plugin says about its accounts and the items scheduled for it.
class PluginAssessment {
public:
  PluginAssessment(PluginSession &session, host::Capabilities caps,
                   std::vector<UpcomingItem *> items, const StatusOptions &options,
                   json::array &problems)
      : session_(session), caps_(std::move(caps)), items_(std::move(items)), options_(options),
        problems_(problems) {}

  // Every account the plugin has, with its token's state.
  void read_accounts() {
    auto all = session_.invoke(caps_.accounts, "{}", "", options_.call_timeout_s);
    if (!all) {
      problem("its accounts could not be read: " + host::error_message(all.error()));
      return;
    }
    const json::value out = json::parse(all.value());
    const json::value *list = path(out, {"accounts"});
    if (list == nullptr || !list->is_array())
      return;
    for (const auto &a : list->as_array()) {
      const std::string name = text_of(path(a, {"account"}));
      if (!name.empty())
        accounts_[name] = account_entry(a.as_object());
    }
  }

  // Each group of items with the same scheduled account: the accounts action, with their times.
  void token_risks() {
    std::map<std::string, std::vector<UpcomingItem *>> by_account;
    for (auto *item : items_)
      by_account[item->account].push_back(item);
    for (auto &[account, group] : by_account) {
      json::array times;
      for (const auto *item : group)
        times.emplace_back(format_utc(item->at));
      json::object input{{"scheduled", std::move(times)}};
      if (!account.empty())
        input["account"] = account;
      auto answer =
          session_.invoke(caps_.accounts, json::serialize(input), "", options_.call_timeout_s);
      const std::string who = account.empty() ? "the default account" : "account '" + account + "'";
      if (!answer) {
        const ah_status st = answer.error().status;
        const std::string why = host::error_message(answer.error());
        if (st == AH_NOT_FOUND || st == AH_INVALID_INPUT || st == AH_AUTH_REQUIRED) {
          for (auto *item : group)
            add_risk(*item, "account", why);
        } else {
          problem("the token of " + who + " could not be checked: " + why);
        }
        continue;
      }
      const json::value out = json::parse(answer.value());
      const json::value *first = path(out, {"accounts"});
      if (first == nullptr || !first->is_array() || first->as_array().empty())
        continue;
      const json::value &a = first->as_array()[0];
      const std::string name = text_of(path(a, {"account"}));
      const json::value *scheduled = path(a, {"scheduled"});
      for (size_t i = 0; i < group.size(); ++i) {
        UpcomingItem &item = *group[i];
        item.resolved_account = name;
        if (scheduled == nullptr || !scheduled->is_array() ||
            scheduled->as_array().size() != group.size()) {
          // A damaged record: the plugin says why instead of judging the times.
          add_risk(item, "account",
                   "the record of account '" + name +
                       "' cannot be read: " + text_of(path(a, {"error"})));
          continue;
        }
        const json::value &verdict = scheduled->as_array()[i];
        const std::string risk = text_of(path(verdict, {"risk"}));
        if (!risk.empty() && risk != "none")
          add_risk(item, risk, text_of(path(verdict, {"message"})));
      }
      if (!name.empty() && accounts_.count(name) == 0)
        accounts_[name] = account_entry(a.as_object());
    }
  }

  // Posts due within 24 hours, per account, against what is left of the publishing quota.
  void quota_risks() {
    if (caps_.quota.empty())
      return;
    const Instant until = options_.now + quota_window;
    std::map<std::string, std::vector<UpcomingItem *>> by_account;
    for (auto *item : items_) {
      // A running post has been through the plugin's own quota check already.
      if (!caps_.is_publishing_action(item->target) || item->state == "running" ||
          item->at > until || item->resolved_account.empty() || has_risk(*item, "needs_reauth") ||
          has_risk(*item, "account")) {
        continue;
      }
      by_account[item->resolved_account].push_back(item);
    }
    for (auto &[account, group] : by_account) {
      json::object quota = check_quota(account, group);
      auto entry = accounts_.find(account);
      if (entry != accounts_.end())
        entry->second["quota"] = std::move(quota);
    }
  }

  // The accounts, each with how many of the items are its and how many of those at risk.
  void append_accounts(json::array &out) const {
    for (const auto &[name, entry] : accounts_) {
      json::object o = entry;
      int upcoming = 0, at_risk = 0;
      for (const auto *item : items_) {
        if (item->resolved_account != name)
          continue;
        ++upcoming;
        if (!item->risks.empty())
          ++at_risk;
      }
      o["upcoming"] = upcoming;
      o["at_risk"] = at_risk;
      if (!o.contains("quota"))
        o["quota"] = nullptr;
      out.push_back(std::move(o));
    }
  }

private:
  json::object account_entry(const json::object &a) const {
    json::object o{{"plugin", session_.name()}};
    for (const char *key :
         {"account", "username", "status", "kind", "expires_at", "expires_in_s", "refresh_due_from",
          "next", "reason", "last_refresh_error", "fix", "error"}) {
      if (const json::value *v = a.if_contains(key))
        o[key] = *v;
    }
    return o;
  }

  json::object check_quota(const std::string &account, const std::vector<UpcomingItem *> &group) {
    int posts_due = 0, replies_due = 0;
    for (const auto *item : group)
      ++(is_reply(*item, caps_.reply_input) ? replies_due : posts_due);
    json::object quota{
        {"checked", false}, {"posts_due_24h", posts_due}, {"replies_due_24h", replies_due}};
    auto entry = accounts_.find(account);
    if (entry != accounts_.end() && text_of(entry->second.if_contains("status")) != "active") {
      quota["error"] = "not checked: the account is not active";
      return quota;
    }
    auto answer = session_.invoke(caps_.quota, "{}", account, options_.call_timeout_s);
    if (!answer) {
      const std::string why = host::error_message(answer.error());
      quota["error"] = why;
      problem("the publishing quota of account '" + account + "' could not be checked (" + why +
              "); " + std::to_string(posts_due + replies_due) + " post(s) due within 24 h");
      return quota;
    }
    const json::value out = json::parse(answer.value());
    struct Kind {
      const char *name, *usage, *config;
      bool replies;
    };
    for (const Kind k : {Kind{"posts", "quota_usage", "config", false},
                         Kind{"replies", "reply_quota_usage", "reply_config", true}}) {
      const json::value *used = path(out, {k.usage});
      const json::value *total = path(out, {k.config, "quota_total"});
      if (used == nullptr || total == nullptr || !used->is_number() || !total->is_number()) {
        continue;
      }
      const auto u = used->to_number<std::int64_t>();
      const auto t = total->to_number<std::int64_t>();
      quota[std::string(k.name) + "_used"] = u;
      quota[std::string(k.name) + "_limit"] = t;
      const std::int64_t left = std::max<std::int64_t>(0, t - u);
      std::int64_t nth = 0;
      for (auto *item : group) {
        if (is_reply(*item, caps_.reply_input) != k.replies)
          continue;
        if (++nth > left) {
          add_risk(*item, "quota",
                   "beyond the publishing quota: " + std::to_string(u) + " of " +
                       std::to_string(t) + " " + k.name + " used in the last 24 h, and this is " +
                       std::to_string(nth) + " of " +
                       std::to_string(k.replies ? replies_due : posts_due) + " due within 24 h");
        }
      }
      quota["checked"] = true;
    }
    if (!quota.at("checked").as_bool()) {
      quota["error"] = "the plugin's answer has no quota_usage and config.quota_total";
    }
    return quota;
  }

  void problem(const std::string &text) { problems_.emplace_back(session_.name() + ": " + text); }

  PluginSession &session_;
  host::Capabilities caps_;
  std::vector<UpcomingItem *> items_;
  const StatusOptions &options_;
  json::array &problems_;
  std::map<std::string, json::object> accounts_;
};

} // namespace

json::array assess_risks(Context &ctx, std::vector<UpcomingItem> &items,
                         const StatusOptions &options, const host::Clock &clock,
                         json::array &problems) {
  const auto &registry = ctx.registry();
  for (const auto &broken : registry.broken()) {
    problems.emplace_back("plugin file " + broken.file.string() +
                          " failed to load: " + broken.error.message);
  }
  std::map<std::string, std::vector<UpcomingItem *>> by_plugin;
  for (auto &item : items) {
    if (item.kind == TargetKind::action)
      by_plugin[item.plugin].push_back(&item);
  }
  std::set<std::string> names;
  for (const auto &lib : registry.plugins())
    names.emplace(lib->name());
  for (const auto &[name, group] : by_plugin)
    names.insert(name);

  json::array accounts;
  for (const auto &name : names) {
    auto &group = by_plugin[name];
    auto lib = registry.find(name);
    if (lib == nullptr) {
      for (auto *item : group) {
        add_risk(*item, "plugin_not_found",
                 "no plugin named '" + name + "' was found (see: autohost plugins)");
      }
      continue;
    }
    auto caps = host::read_capabilities(lib->manifest_json(), name);
    if (!caps) {
      problems.emplace_back(host::error_message(caps.error()));
      continue;
    }
    if (caps->accounts.empty())
      continue; // nothing it can tell
    auto session = PluginSession::start(ctx, lib, clock);
    if (!session) {
      problems.emplace_back(name + ": " + host::error_message(session.error()));
      continue;
    }
    PluginAssessment assessment(*session.value(), std::move(caps).value(), group, options,
                                problems);
    assessment.read_accounts();
    assessment.token_risks();
    assessment.quota_risks();
    assessment.append_accounts(accounts);
  }
  return accounts;
}

} // namespace autohost::cli
