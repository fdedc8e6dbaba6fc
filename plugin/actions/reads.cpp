// Read actions: profile, own posts, one post, replies, conversation, mentions, insights,
// publishing limit and keyword search.
#include "actions/reads.hpp"

#include "actions/acting_account.hpp"
#include "actions/input_reader.hpp"
#include "actions/insights_range.hpp"
#include "graph/answer_json.hpp"

namespace threads::actions {
namespace json = boost::json;
using autohost::Error;
using autohost::Result;
using graph::Operation;
using http::Method;

namespace {

constexpr std::string_view post_fields =
    "id,media_product_type,media_type,media_url,permalink,owner,username,text,timestamp,"
    "shortcode,thumbnail_url,children,is_quote_post,quoted_post,reposted_post,alt_text,"
    "link_attachment_url,topic_tag";
// Keyword search results carry no owner.
constexpr std::string_view search_fields =
    "id,media_product_type,media_type,media_url,permalink,username,text,timestamp,shortcode,"
    "thumbnail_url,children,is_quote_post,has_replies,alt_text,link_attachment_url,topic_tag";
constexpr std::string_view reply_fields =
    "id,text,username,permalink,timestamp,media_product_type,media_type,media_url,shortcode,"
    "thumbnail_url,children,is_quote_post,has_replies,root_post,replied_to,is_reply,"
    "is_reply_owned_by_me,hide_status,reply_audience";
constexpr std::string_view profile_fields =
    "id,username,name,threads_profile_picture_url,threads_biography,is_verified";

std::string joined(const std::vector<std::string> &items, std::string_view fallback) {
  if (items.empty())
    return std::string(fallback);
  std::string out;
  for (const auto &i : items)
    out += (out.empty() ? "" : ",") + i;
  return out;
}

// A time bound: Unix seconds, or any text the API understands (ISO 8601, strtotime).
Result<std::string> time_bound(Reader &r, std::string_view key) {
  const json::value *v = r.raw(key);
  if (v == nullptr)
    return std::string();
  if (v->is_int64() && v->as_int64() >= 0)
    return std::to_string(v->as_int64());
  if (v->is_string() && !v->as_string().empty())
    return std::string(v->as_string());
  return r.error(key, "must be Unix seconds or an ISO 8601 time");
}

// Reads one object: GET path?fields=...
Result<std::string> read_object(const ActionContext &ctx, std::string_view action,
                                ActingAccount &who, std::string path, std::string fields) {
  auto call = ctx.make_call(Method::get, std::move(path), Operation::read, "");
  call.params = {{"fields", std::move(fields)}};
  AH_TRY_DECLARE(got, to_result(who.call(std::move(call))));
  return graph::answer_json(got, action);
}

// Reads a list endpoint with paging: fields, limit, since/until, before/after cursors, and
// max_pages (follow `paging.next` up to that many pages, concatenating `data`).
Result<std::string> read_list(const ActionContext &ctx, std::string_view action, Reader &r,
                              ActingAccount &who, std::string path, std::string_view default_fields,
                              graph::Params extra) {
  std::vector<std::string> fields;
  AH_TRY_ASSIGN(fields, r.strings("fields"));
  std::optional<std::int64_t> limit, max_pages;
  AH_TRY_ASSIGN(limit, r.integer("limit", 1, 100));
  AH_TRY_ASSIGN(max_pages, r.integer("max_pages", 1, 100));
  std::string since, until, before, after;
  AH_TRY_ASSIGN(since, time_bound(r, "since"));
  AH_TRY_ASSIGN(until, time_bound(r, "until"));
  AH_TRY_ASSIGN(before, r.string("before"));
  AH_TRY_ASSIGN(after, r.string("after"));
  if (!before.empty() && !after.empty()) {
    return field_error(action, "after", "cannot be combined with before");
  }
  AH_TRY(r.no_unknown_fields());

  auto call = ctx.make_call(Method::get, std::move(path), Operation::read, "");
  call.params = std::move(extra);
  call.params.emplace_back("fields", joined(fields, default_fields));
  if (limit)
    call.params.emplace_back("limit", std::to_string(*limit));
  if (!since.empty())
    call.params.emplace_back("since", since);
  if (!until.empty())
    call.params.emplace_back("until", until);
  if (!before.empty())
    call.params.emplace_back("before", before);
  if (!after.empty())
    call.params.emplace_back("after", after);

  json::array data;
  json::object paging;
  int pages = 0;
  auto page = who.call(call);
  for (;;) {
    if (!page)
      return to_error(std::move(page).error());
    ++pages;
    json::object *o = page->is_object() ? &page->as_object() : nullptr;
    json::value *items = o != nullptr ? o->if_contains("data") : nullptr;
    if (items == nullptr || !items->is_array()) {
      return Error::make(AH_RETRY_LATER,
                         std::string(action) + ": the Threads API answered without a data list");
    }
    for (auto &item : items->as_array())
      data.push_back(std::move(item));
    json::value *p = o->if_contains("paging");
    paging = p != nullptr && p->is_object() ? p->as_object() : json::object{};
    const json::value *next = paging.if_contains("next");
    if (pages >= max_pages.value_or(1) || next == nullptr || !next->is_string() ||
        ctx.should_stop()) {
      break;
    }
    page = who.follow(std::string(next->as_string()), call);
  }
  json::value out = json::object{{"data", std::move(data)}, {"pages", pages}};
  json::object cursors;
  if (const json::value *c = paging.if_contains("cursors"); c != nullptr && c->is_object()) {
    cursors = c->as_object();
  }
  // Paging URLs carry the token on the real API; only cursors are passed on.
  out.as_object()["paging"] = json::object{
      {"before", cursors.contains("before") ? cursors.at("before") : json::value(nullptr)},
      {"after", cursors.contains("after") ? cursors.at("after") : json::value(nullptr)},
      {"has_next", paging.contains("next")}};
  return graph::answer_json(out, action);
}

} // namespace

Result<std::string> run_profile(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("profile", input));
  std::vector<std::string> fields;
  AH_TRY_ASSIGN(fields, r.strings("fields"));
  AH_TRY(r.no_unknown_fields());
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  return read_object(ctx, "profile", who, "/me", joined(fields, profile_fields));
}

Result<std::string> run_threads(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("threads", input));
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  return read_list(ctx, "threads", r, who, "/" + who.user_id() + "/threads", post_fields, {});
}

Result<std::string> run_mentions(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("mentions", input));
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  return read_list(ctx, "mentions", r, who, "/" + who.user_id() + "/mentions", post_fields, {});
}

Result<std::string> run_thread(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("thread", input));
  std::string id;
  AH_TRY_ASSIGN(id, r.id("id"));
  if (id.empty())
    return field_error("thread", "id", "is required");
  std::vector<std::string> fields;
  AH_TRY_ASSIGN(fields, r.strings("fields"));
  AH_TRY(r.no_unknown_fields());
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  return read_object(ctx, "thread", who, "/" + id, joined(fields, post_fields));
}

namespace {
Result<std::string> reply_list(const ActionContext &ctx, std::string_view input,
                               std::string_view action, std::string_view edge) {
  AH_TRY_DECLARE(r, Reader::parse(action, input));
  std::string id;
  AH_TRY_ASSIGN(id, r.id("id"));
  if (id.empty())
    return field_error(action, "id", "is required");
  bool reverse = false;
  AH_TRY_ASSIGN(reverse, r.boolean("reverse"));
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  graph::Params extra;
  if (reverse)
    extra.emplace_back("reverse", "true");
  return read_list(ctx, action, r, who, "/" + id + std::string(edge), reply_fields,
                   std::move(extra));
}
} // namespace

Result<std::string> run_replies(const ActionContext &ctx, std::string_view input) {
  return reply_list(ctx, input, "replies", "/replies");
}

Result<std::string> run_conversation(const ActionContext &ctx, std::string_view input) {
  return reply_list(ctx, input, "conversation", "/conversation");
}

Result<std::string> run_insights(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("insights", input));
  std::string id;
  AH_TRY_ASSIGN(id, r.id("id"));
  std::vector<std::string> metrics;
  AH_TRY_ASSIGN(metrics, r.strings("metrics"));
  AH_TRY_DECLARE(range, read_insights_range(r));
  AH_TRY(r.no_unknown_fields());
  if (!id.empty() && (range.since_s || range.until_s)) {
    return field_error("insights", range.since_s ? "since" : "until",
                       "applies to account insights only (omit id)");
  }
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  const bool media = !id.empty();
  auto call = ctx.make_call(
      Method::get, media ? "/" + id + "/insights" : "/" + who.user_id() + "/threads_insights",
      Operation::read, "");
  call.params = {{"metric", joined(metrics, media ? "views,likes,replies,reposts,quotes,shares"
                                                  : "views,likes,replies,reposts,quotes,"
                                                    "followers_count")}};
  // Unix seconds, as Meta documents for this endpoint, whatever form the input took.
  if (range.since_s)
    call.params.emplace_back("since", std::to_string(*range.since_s));
  if (range.until_s)
    call.params.emplace_back("until", std::to_string(*range.until_s));
  AH_TRY_DECLARE(got, to_result(who.call(call)));
  // {"data":[{"name","period","values":[{"value"}] | "total_value":{"value"}}]} becomes
  // {"metrics": {name: value}, "data": [...as sent...]}.
  json::object metrics_out;
  if (const json::value *data = got.is_object() ? got.as_object().if_contains("data") : nullptr;
      data != nullptr && data->is_array()) {
    for (const auto &m : data->as_array()) {
      if (!m.is_object() || !m.as_object().contains("name"))
        continue;
      const json::object &mo = m.as_object();
      json::value value = nullptr;
      if (const json::value *tv = mo.if_contains("total_value"); tv != nullptr && tv->is_object()) {
        if (const json::value *v = tv->as_object().if_contains("value"))
          value = *v;
      } else if (const json::value *vs = mo.if_contains("values");
                 vs != nullptr && vs->is_array() && !vs->as_array().empty() &&
                 vs->as_array().back().is_object()) {
        if (const json::value *v = vs->as_array().back().as_object().if_contains("value"))
          value = *v;
      }
      metrics_out[mo.at("name").as_string()] = value;
    }
  }
  json::value out = json::object{{"scope", media ? "media" : "account"},
                                 {"id", media ? id : who.user_id()},
                                 {"metrics", std::move(metrics_out)},
                                 {"data", got.is_object() && got.as_object().contains("data")
                                              ? got.as_object().at("data")
                                              : json::array{}}};
  return graph::answer_json(out, "insights");
}

Result<std::string> run_publishing_limit(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("publishing_limit", input));
  AH_TRY(r.no_unknown_fields());
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  auto call = ctx.make_call(Method::get, "/" + who.user_id() + "/threads_publishing_limit",
                            Operation::read, "");
  call.params = {{"fields", "quota_usage,config,reply_quota_usage,reply_config,"
                            "delete_quota_usage,delete_config"}};
  AH_TRY_DECLARE(got, to_result(who.call(call)));
  const json::value *data = got.is_object() ? got.as_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_array() || data->as_array().empty()) {
    return Error::make(AH_RETRY_LATER, "publishing_limit: the Threads API answered without data");
  }
  return graph::answer_json(data->as_array()[0], "publishing_limit");
}

Result<std::string> run_search(const ActionContext &ctx, std::string_view input) {
  AH_TRY_DECLARE(r, Reader::parse("search", input));
  std::string q, type, mode, media_type;
  AH_TRY_ASSIGN(q, r.string("q"));
  AH_TRY_ASSIGN(type, r.string("search_type"));
  AH_TRY_ASSIGN(mode, r.string("search_mode"));
  AH_TRY_ASSIGN(media_type, r.string("media_type"));
  if (q.empty())
    return field_error("search", "q", "is required");
  if (!type.empty() && type != "TOP" && type != "RECENT") {
    return field_error("search", "search_type", "must be TOP or RECENT");
  }
  if (!mode.empty() && mode != "KEYWORD" && mode != "TAG") {
    return field_error("search", "search_mode", "must be KEYWORD or TAG");
  }
  if (!media_type.empty() && media_type != "TEXT" && media_type != "IMAGE" &&
      media_type != "VIDEO") {
    return field_error("search", "media_type", "must be TEXT, IMAGE or VIDEO");
  }
  AH_TRY_DECLARE(who, ActingAccount::load(ctx));
  graph::Params extra = {{"q", q}};
  if (!type.empty())
    extra.emplace_back("search_type", type);
  if (!mode.empty())
    extra.emplace_back("search_mode", mode);
  if (!media_type.empty())
    extra.emplace_back("media_type", media_type);
  return read_list(ctx, "search", r, who, "/keyword_search", search_fields, std::move(extra));
}

} // namespace threads::actions
