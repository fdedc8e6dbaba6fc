// Paging through the account's own posts or replies, newest first.
#include "actions/own_posts.hpp"

#include "auth/time_text.hpp"

#include <boost/json.hpp>

namespace threads::actions {
namespace json = boost::json;

namespace {

std::string string_field(const json::object &o, std::string_view name) {
  const json::value *v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

OwnPost read_post(const json::object &o) {
  OwnPost post;
  post.id = graph::id_string(o.if_contains("id"));
  post.text = string_field(o, "text");
  post.media_type = string_field(o, "media_type");
  post.timestamp_ms = auth::parse_time_ms(string_field(o, "timestamp")).value_or(0);
  return post;
}

} // namespace

graph::GraphResult<autohost::Done>
for_each_own_post(const ActionContext &ctx, ActingAccount &account, const OwnPostQuery &query,
                  const std::function<bool(const OwnPost &)> &visit) {
  const std::string edge = query.list == OwnPostList::replies ? "/replies" : "/threads";
  auto call =
      ctx.make_call(http::Method::get, "/" + account.user_id() + edge, graph::Operation::read, {});
  call.params = query.params;
  call.params.emplace_back("fields", "id,text,media_type,timestamp");
  auto page = account.call(call);
  for (int pages = 1;; ++pages) {
    if (!page)
      return std::move(page).error();
    const json::object *o = page->is_object() ? &page->as_object() : nullptr;
    const json::value *data = o != nullptr ? o->if_contains("data") : nullptr;
    if (data == nullptr || !data->is_array())
      return autohost::Done{};
    for (const auto &item : data->as_array()) {
      if (item.is_object() && !visit(read_post(item.as_object())))
        return autohost::Done{};
    }
    const json::value *paging = o->if_contains("paging");
    const json::value *next = paging != nullptr && paging->is_object()
                                  ? paging->as_object().if_contains("next")
                                  : nullptr;
    if (pages >= query.max_pages || next == nullptr || !next->is_string())
      return autohost::Done{};
    page = account.follow(std::string(next->as_string()), call);
  }
}

} // namespace threads::actions
