// A second test plugin, with none of the Threads plugin's vocabulary: it declares in its
// manifest which actions report accounts and quota and which publish, so `autohost status`
// and calendars must find them through those capabilities alone. Its accounts and quotas
// are secrets the test writes: bulletin/accounts/NAME = {"status", "expires_at"} and
// bulletin/quota/NAME = {"used", "limit"}.
#include <autohost/plugin.hpp>

#include <boost/json.hpp>

namespace {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;

constexpr std::string_view accounts_prefix = "bulletin/accounts/";

class Bulletin final : public autohost::PluginInstance {
public:
  explicit Bulletin(autohost::HostServices host) : host_(host) {}

  Result<std::string> invoke(std::string_view action, std::string_view input,
                             const autohost::CallContext &ctx) override {
    boost::system::error_code ec;
    const json::value in = json::parse(input.empty() ? "{}" : input, ec);
    if (ec || !in.is_object())
      return Error::make(AH_INVALID_INPUT, "the input must be a JSON object");
    if (action == "members")
      return members(in.as_object());
    if (action == "allowance")
      return allowance(std::string(ctx.account()));
    if (action == "announce")
      return std::string(R"({"announced":true})");
    return Error::make(AH_NOT_FOUND, "bulletin has no action '" + std::string(action) + "'");
  }

  Result<std::string> run_job(std::string_view job, const autohost::CallContext &) override {
    return Error::make(AH_NOT_FOUND, "bulletin has no job '" + std::string(job) + "'");
  }

private:
  Result<json::object> account(const std::string &name) const {
    AH_TRY_DECLARE(got, host_.secret_get(std::string(accounts_prefix) + name));
    if (!got)
      return Error::make(AH_NOT_FOUND, "bulletin has no account '" + name + "'");
    json::object a = json::parse(got->value).as_object();
    a["account"] = name;
    return a;
  }

  // {} lists every account; {"account", "scheduled": [UTC times]} judges the times.
  Result<std::string> members(const json::object &in) const {
    AH_TRY_DECLARE(listed, host_.secret_list(accounts_prefix));
    std::vector<std::string> names;
    const json::value keys = json::parse(listed);
    for (const auto &item : keys.as_array())
      names.emplace_back(std::string(item.at("key").as_string()).substr(accounts_prefix.size()));
    const json::value *scheduled = in.if_contains("scheduled");
    if (scheduled == nullptr) {
      json::array all;
      for (const auto &name : names) {
        AH_TRY_DECLARE(a, account(name));
        all.push_back(std::move(a));
      }
      return json::serialize(json::object{{"accounts", all}});
    }
    std::string name;
    if (const json::value *n = in.if_contains("account"))
      name = std::string(n->as_string());
    else if (names.size() == 1)
      name = names.front();
    else
      return Error::make(AH_INVALID_INPUT, "name the account: bulletin has several");
    auto a = account(name);
    if (!a)
      return std::move(a).error();
    json::object record = std::move(a).value();
    const std::string status(record.at("status").as_string());
    const std::string expires(record.at("expires_at").as_string());
    json::array verdicts;
    for (const auto &t : scheduled->as_array()) {
      const std::string at(t.as_string()); // the same "YYYY-MM-DDTHH:MM:SSZ" form: comparable
      if (status != "active")
        verdicts.push_back(json::object{{"risk", "needs_reauth"}, {"message", "sign in again"}});
      else if (at > expires)
        verdicts.push_back(
            json::object{{"risk", "expires_before"}, {"message", "expires " + expires}});
      else
        verdicts.push_back(json::object{{"risk", "none"}});
    }
    record["scheduled"] = std::move(verdicts);
    return json::serialize(json::object{{"accounts", json::array{record}}});
  }

  Result<std::string> allowance(const std::string &name) const {
    auto got = host_.secret_get("bulletin/quota/" + name);
    if (!got)
      return std::move(got).error();
    json::object q = got.value() ? json::parse(got.value()->value).as_object()
                                 : json::object{{"used", 0}, {"limit", 1000}};
    return json::serialize(
        json::object{{"quota_usage", q.at("used")}, {"config", {{"quota_total", q.at("limit")}}}});
  }

  autohost::HostServices host_;
};

Result<std::unique_ptr<autohost::PluginInstance>> create(autohost::HostServices host,
                                                         std::string_view) {
  return std::unique_ptr<autohost::PluginInstance>(new Bulletin(host));
}

using Adapter = autohost::PluginAdapter<&create>;

constexpr const char manifest[] = R"({"name":"bulletin","version":"1.0.0",
"description":"a test plugin that declares its capabilities",
"actions":[
  {"name":"members","description":"accounts and their sign-in state","input_schema":{"type":"object"},"output_schema":{"type":"object"}},
  {"name":"allowance","description":"announcements used and allowed per day","input_schema":{"type":"object"},"output_schema":{"type":"object"}},
  {"name":"announce","description":"publishes an announcement","input_schema":{"type":"object"},"output_schema":{"type":"object"}}
],
"capabilities":{"accounts":"members","quota":"allowance","publishes":["announce"],"reply_input":"in_reply_to"},
"jobs":[]})";

constexpr ah_plugin table = Adapter::table("bulletin", "1.0.0", manifest);

} // namespace

extern "C" __attribute__((visibility("default"))) const ah_plugin *autohost_plugin_entry(void) {
  return &table;
}
