// Routing: version prefix, object kind (user, container, media), method, endpoint group, faults.
#include "router.hpp"

#include "control_endpoints.hpp"
#include "endpoints.hpp"
#include "graph_errors.hpp"
#include "random_ids.hpp"
#include "text_rules.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

namespace sandbox {
namespace {

using Handler = Reply (*)(Context &);

struct Route {
  std::string_view group = "read";
  Handler handler = nullptr;
  std::optional<GraphError> error; // set when no handler applies
};

bool is_version(std::string_view segment) {
  // v1.0, v19.0, v2 ...
  return segment.size() >= 2 && segment[0] == 'v' &&
         std::all_of(segment.begin() + 1, segment.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
         });
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start < path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    if (end > start) {
      segments.emplace_back(path.substr(start, end - start));
    }
    start = end + 1;
  }
  return segments;
}

Route handled(std::string_view group, Handler handler) { return Route{group, handler, {}}; }
Route failed(std::string_view group, GraphError error) {
  return Route{group, nullptr, std::move(error)};
}

Route only(bool allowed, std::string_view method, std::string_view group, Handler handler) {
  return allowed ? handled(group, handler) : failed(group, errors::unsupported_method(method));
}

// The paths that name no object: OAuth, token exchange and refresh, debug_token, search.
std::optional<Route> resolve_fixed(const std::vector<std::string> &s, std::string_view method,
                                   bool versioned) {
  const bool get = method == "GET";
  const bool get_or_post = get || method == "POST";
  if (s.size() == 2 && s[0] == "oauth" && s[1] == "authorize") {
    return only(get, method, "oauth", oauth_authorize);
  }
  if (s.size() == 2 && s[0] == "oauth" && s[1] == "access_token") {
    return only(get_or_post, method, "oauth", oauth_access_token);
  }
  if (s.size() != 1) {
    return std::nullopt;
  }
  if (s[0] == "access_token") {
    // restfb#1450: the versioned path fails with "Unsupported request - method type: get".
    return versioned ? failed("exchange", errors::unsupported_method(method))
                     : only(get_or_post, method, "exchange", exchange_token);
  }
  if (s[0] == "refresh_access_token") {
    return only(get_or_post, method, "refresh", refresh_token);
  }
  if (s[0] == "debug_token") {
    return only(get, method, "oauth", debug_token);
  }
  if (s[0] == "keyword_search") {
    return only(get, method, "read", keyword_search);
  }
  return std::nullopt;
}

// A GET-only edge of object `id` found in `reads`, else an unknown path.
template <std::size_t N>
Route read_edge(std::string_view method, const std::string &id, const std::string &edge,
                const std::array<std::pair<std::string_view, Handler>, N> &reads) {
  for (const auto &[name, handler] : reads) {
    if (edge == name) {
      return method == "GET" ? handled("read", handler)
                             : failed("read", errors::unsupported_request(method, id));
    }
  }
  return failed("read", errors::unknown_path("/" + edge));
}

// /{user} and its edges (`edge` empty: the profile itself).
Route resolve_user(std::string_view method, const std::string &id, const std::string &edge) {
  const bool get = method == "GET";
  const bool post = method == "POST";
  const auto unsupported = [&](std::string_view group) {
    return failed(group, errors::unsupported_request(method, id));
  };
  if (edge.empty()) {
    return get ? handled("read", read_profile) : unsupported("read");
  }
  if (edge == "threads") {
    return get    ? handled("read", list_threads)
           : post ? handled("create", create_container)
                  : unsupported("create");
  }
  if (edge == "threads_publish") {
    return post ? handled("publish", publish_container) : unsupported("publish");
  }
  static constexpr std::array<std::pair<std::string_view, Handler>, 4> user_reads{{
      {"threads_publishing_limit", publishing_limit},
      {"replies", list_user_replies},
      {"mentions", list_mentions},
      {"threads_insights", user_insights},
  }};
  return read_edge(method, id, edge, user_reads);
}

// /{media} and its edges.
Route resolve_media(std::string_view method, const std::string &id, const std::string &edge) {
  const bool get = method == "GET";
  const bool post = method == "POST";
  const auto unsupported = [&](std::string_view group) {
    return failed(group, errors::unsupported_request(method, id));
  };
  if (edge.empty()) {
    return get                  ? handled("read", read_media)
           : method == "DELETE" ? handled("delete", delete_media)
                                : unsupported("read");
  }
  if (edge == "repost") {
    return post ? handled("publish", repost_media) : unsupported("publish");
  }
  if (edge == "manage_reply") {
    return post ? handled("manage", manage_reply) : unsupported("manage");
  }
  static constexpr std::array<std::pair<std::string_view, Handler>, 3> media_reads{{
      {"replies", list_replies},
      {"conversation", list_conversation},
      {"insights", media_insights},
  }};
  return read_edge(method, id, edge, media_reads);
}

// Path segments below the version prefix; `versioned` says whether one was there.
Route resolve(Context &ctx, std::string_view method, bool versioned) {
  const auto &s = ctx.segments;
  if (s.empty()) {
    return failed("read", errors::unknown_path("/"));
  }
  if (auto fixed = resolve_fixed(s, method, versioned)) {
    return *fixed;
  }
  if (s.size() > 2) {
    return failed("read", errors::unknown_path("/" + s[2]));
  }
  const std::string &id = s[0];
  const std::string edge = s.size() == 2 ? s[1] : std::string();
  if (id == "me" || ctx.world.find_user(id) != nullptr) {
    return resolve_user(method, id, edge);
  }
  if (ctx.world.find_container(id) != nullptr) {
    return edge.empty() && method == "GET"
               ? handled("status", read_container)
               : failed("status", errors::unsupported_request(method, id));
  }
  if (ctx.world.find_post(id) != nullptr) {
    return resolve_media(method, id, edge);
  }
  return failed(method == "DELETE" ? "delete" : "read", errors::unsupported_request(method, id));
}

Reply with_common_headers(Reply reply) {
  reply.headers.emplace_back("X-FB-Trace-ID", random_trace_id());
  reply.headers.emplace_back("X-FB-Request-ID", random_trace_id());
  return reply;
}

} // namespace

Reply Router::handle(const Request &request) {
  const std::string target_text = escape_forbidden_uri_chars(request.target);
  const auto target = boost::urls::parse_origin_form(target_text);
  if (!target) {
    return graph_error_reply(errors::invalid_parameter("path", "the request target is malformed"));
  }
  const std::string path = target->path();
  const std::string_view query = target->encoded_query();

  if (path == "/__sandbox" || path.rfind("/__sandbox/", 0) == 0) {
    // Control bodies are JSON of any shape; only the query is read as parameters.
    auto query_params = parse_form(query);
    if (!query_params) {
      return graph_error_reply(errors::invalid_parameter("query", query_params.error()));
    }
    const std::lock_guard lock(sandbox_.mutex);
    return handle_control(sandbox_, request, path, *query_params);
  }
  auto params = gather_params(query, request.content_type, request.body);
  if (!params) {
    return graph_error_reply(errors::invalid_parameter("body", params.error()));
  }

  std::vector<std::string> segments = split_path(path);
  const bool versioned = !segments.empty() && is_version(segments.front());
  if (versioned) {
    segments.erase(segments.begin());
  }
  // Graph's method override: POST ...?method=delete acts as DELETE.
  std::string method = request.method;
  if (const auto it = params->find("method"); method == "POST" && it != params->end()) {
    method = ascii_upper(it->second);
  }
  Request effective = request;
  effective.method = method;

  const std::lock_guard lock(sandbox_.mutex);
  World &world = sandbox_.world;
  Context ctx{effective,           *params, path, std::move(segments), world, sandbox_.clock,
              sandbox_.clock.now()};
  const Route route = resolve(ctx, method, versioned);
  ++world.stats.requests[std::string(route.group)];

  const std::optional<FaultRule> fault = world.faults.take(route.group);
  if (fault) {
    ++world.stats.faults_fired;
    if (!fault->execute) {
      return with_common_headers(render_fault(*fault, nullptr));
    }
  }
  Reply reply = route.handler != nullptr ? route.handler(ctx) : graph_error_reply(*route.error);
  if (fault) {
    reply = render_fault(*fault, &reply);
  }
  return with_common_headers(std::move(reply));
}

} // namespace sandbox
