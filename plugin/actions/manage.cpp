// Manage actions, which change what is on Threads without publishing: delete, repost and
// hide_reply.
#include "actions/manage.hpp"

#include "actions/acting_account.hpp"
#include "actions/input_reader.hpp"

#include <boost/json.hpp>

namespace threads::actions {
namespace json = boost::json;
using autohost::Result;
using graph::Operation;
using http::Method;

Result<std::string> run_delete(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("delete", input));
  std::string id;
  AH_TRY_ASSIGN(id, r.id("id"));
  if (id.empty())
    return field_error("delete", "id", "is required");
  AH_TRY(r.no_unknown_fields());
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  auto call = ctx.make_call(Method::delete_, "/" + id, Operation::manage, "");
  AH_TRY(to_result(who.call(call)));
  return json::serialize(json::object{{"deleted", true}, {"id", id}});
}

Result<std::string> run_repost(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("repost", input));
  std::string id;
  AH_TRY_ASSIGN(id, r.id("id"));
  if (id.empty())
    return field_error("repost", "id", "is required");
  AH_TRY(r.no_unknown_fields());
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  auto call = ctx.make_call(Method::post, "/" + id + "/repost", Operation::manage, "");
  AH_TRY_DECLARE(got, to_result(who.call(call)));
  const std::string repost_id =
      graph::id_string(got.is_object() ? got.as_object().if_contains("id") : nullptr);
  return json::serialize(json::object{{"id", repost_id}, {"reposted_id", id}});
}

Result<std::string> run_hide_reply(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("hide_reply", input));
  std::string id;
  AH_TRY_ASSIGN(id, r.id("id"));
  if (id.empty())
    return field_error("hide_reply", "id", "is required");
  bool hide = true;
  if (const json::value *h = r.raw("hide")) {
    if (!h->is_bool())
      return field_error("hide_reply", "hide", "must be true or false");
    hide = h->as_bool();
  }
  AH_TRY(r.no_unknown_fields());
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  auto call = ctx.make_call(Method::post, "/" + id + "/manage_reply", Operation::manage, "");
  call.params = {{"hide", hide ? "true" : "false"}};
  call.idempotent = true; // setting the same state twice is harmless
  AH_TRY(to_result(who.call(call)));
  return json::serialize(json::object{{"id", id}, {"hidden", hide}});
}

} // namespace threads::actions
