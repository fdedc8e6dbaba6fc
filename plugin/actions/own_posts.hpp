// Paging through the account's own posts or replies, newest first: how the publish flow
// finds a post whose publish answer was lost, and when the oldest post of the quota window
// ages out.
#pragma once

#include "actions/acting_account.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace threads::actions {

struct OwnPost {
  std::string id;
  std::string text;
  std::string media_type;
  std::int64_t timestamp_ms = 0; // 0 when the server sent none or an unreadable one
};

enum class OwnPostList { posts, replies };

// What to list: `params` are added to the first request (fields are always
// id,text,media_type,timestamp); at most `max_pages` pages are read.
struct OwnPostQuery {
  OwnPostList list = OwnPostList::posts;
  graph::Params params;
  int max_pages = 1;
};

// Calls `visit` for each post until it returns false, the list ends or the page bound is
// reached. A failed request is returned as it came (the caller adds the resume key).
graph::GraphResult<autohost::Done>
for_each_own_post(const ActionContext &ctx, ActingAccount &account, const OwnPostQuery &query,
                  const std::function<bool(const OwnPost &)> &visit);

} // namespace threads::actions
