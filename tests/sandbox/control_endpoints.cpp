// The /__sandbox/ control API: routes each control path to its handler.
#include "control_endpoints.hpp"

#include "control_support.hpp"

#include <boost/json.hpp>

namespace sandbox {

namespace json = boost::json;

Reply handle_control(Sandbox &sandbox, const Request &request, std::string_view path,
                     const Params &query) {
  std::string_view rest = path.substr(std::string_view("/__sandbox").size());
  while (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
  }
  const bool get = request.method == "GET";
  if (rest.empty() || rest == "/health") {
    return control::ok(json::object{{"ok", true}});
  }
  if (rest == "/users") {
    return control::users(sandbox, request);
  }
  if (rest == "/tokens") {
    return control::issue_token(sandbox, request);
  }
  if (rest == "/tokens/check") {
    return get ? control::check_token(sandbox, query)
               : control::method_not_allowed(request.method, path);
  }
  if (rest == "/clock") {
    return control::clock(sandbox, request);
  }
  if (rest == "/config") {
    return control::config(sandbox, request, control::ConfigPart::everything);
  }
  if (rest == "/container_delays") {
    return control::config(sandbox, request, control::ConfigPart::container_delays);
  }
  if (rest == "/faults") {
    return control::faults(sandbox, request);
  }
  if (rest == "/stats") {
    return get ? control::stats(sandbox) : control::method_not_allowed(request.method, path);
  }
  if (rest == "/posts") {
    return get ? control::posts(sandbox, query) : control::method_not_allowed(request.method, path);
  }
  if (rest == "/containers") {
    return get ? control::containers(sandbox) : control::method_not_allowed(request.method, path);
  }
  constexpr std::string_view posts_prefix = "/posts/";
  constexpr std::string_view metrics_suffix = "/metrics";
  if (rest.substr(0, posts_prefix.size()) == posts_prefix && rest.size() > metrics_suffix.size() &&
      rest.substr(rest.size() - metrics_suffix.size()) == metrics_suffix) {
    return control::post_metrics(
        sandbox, request,
        rest.substr(posts_prefix.size(),
                    rest.size() - posts_prefix.size() - metrics_suffix.size()));
  }
  if (rest == "/reset") {
    if (request.method != "POST") {
      return control::method_not_allowed(request.method, path);
    }
    sandbox.reset();
    return control::ok(json::object{{"ok", true}});
  }
  return control::fail(404, "no control endpoint " + std::string(path));
}

} // namespace sandbox
