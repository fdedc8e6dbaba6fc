// Cursor paging over an ordered post list, the time filters, and next/previous URLs.
#pragma once

#include "context.hpp"
#include "expected.hpp"
#include "graph_errors.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sandbox {

// `limit` (default 25, at most 100), `before`/`after` cursors (never both).
struct PageRequest {
  std::size_t limit = 25;
  std::string before; // decoded: the post id the cursor points at
  std::string after;
};

Expected<PageRequest, GraphError> read_page_request(const Context &ctx,
                                                    std::size_t default_limit = 25);

// `since`/`until` as Unix seconds or a date ("2024-07-01", "2024-07-01T08:00:00+0000").
Expected<std::optional<TimePoint>, GraphError> read_time_param(const Context &ctx,
                                                               std::string_view name);

// Applies `since`/`until` (threads-api.md 3.2: since >= 1688540400 and before until).
Expected<std::vector<const PostRecord *>, GraphError>
filter_by_time(const Context &ctx, std::vector<const PostRecord *> posts);

// `comes_before(a, b)`: a is listed before b. `ordered` is sorted by it.
using PostOrder = std::function<bool(const PostRecord &, const PostRecord &)>;

bool newest_first(const PostRecord &a, const PostRecord &b);
bool oldest_first(const PostRecord &a, const PostRecord &b);

// The page of `ordered` that `request` selects, rendered by `render`, with "data" and
// "paging" {cursors, next, previous} as Graph sends them. A cursor whose post has gone
// (deleted) still works: it is placed by `order`.
Expected<boost::json::object, GraphError>
page_json(const Context &ctx, const std::vector<const PostRecord *> &ordered,
          const PostOrder &order, const PageRequest &request,
          const std::function<boost::json::object(const PostRecord &)> &render);

} // namespace sandbox
