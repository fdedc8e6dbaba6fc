// Calls to the Threads Graph API on top of the HTTP layer.
#include "graph/graph_client.hpp"

#include "http/redact.hpp"
#include "http/retry_policy.hpp"
#include "http/uri_parse.hpp"

#include <boost/json.hpp>
#include <boost/url.hpp>

#include <algorithm>
#include <exception>
#include <iterator>
#include <utility>

namespace threads::graph {
namespace json = boost::json;
namespace urls = boost::urls;
using autohost::Error;

namespace {

Error make_error(ah_status status, std::string_view code, std::string message) {
  json::object body{{"code", code}, {"message", std::move(message)}};
  return Error{status, json::serialize(body)};
}

} // namespace

Failure transport_failure(const http::Error &e, Effect effect) {
  ah_status status = AH_RETRY_LATER;
  switch (e.kind) {
  case http::ErrorKind::tls:
    status = AH_INTERNAL; // a trust problem: fix ca_file or the network, not a retry
    break;
  case http::ErrorKind::proxy_refused:
    status = AH_INTERNAL; // the proxy's policy or credentials: fix the proxy settings
    break;
  case http::ErrorKind::invalid_argument:
  case http::ErrorKind::internal:
    status = AH_INTERNAL;
    break;
  case http::ErrorKind::cancelled:
    status = AH_CANCELLED;
    break;
  default:
    break;
  }
  std::string message = "Threads API unreachable: " + e.message;
  if (e.kind == http::ErrorKind::proxy_refused) {
    message += " (check https_proxy/HTTPS_PROXY and its credentials, or list the host in NO_PROXY)";
  }
  json::object body{{"code", http::to_string(e.kind)},
                    {"message", std::move(message)},
                    {"attempts", e.attempts},
                    {"request_may_have_been_sent",
                     e.delivery == http::Delivery::maybe_sent && effect == Effect::possible}};
  if (status == AH_RETRY_LATER)
    body["retry_after_s"] = 30;
  return Failure{Error{status, json::serialize(body)}, e.delivery, std::nullopt};
}

Failure deadline_failure(const http::Error &e, Effect effect) {
  json::object body{{"code", "deadline_exceeded"},
                    {"message", "the call's deadline passed: " + e.message},
                    {"attempts", e.attempts},
                    {"request_may_have_been_sent",
                     e.delivery == http::Delivery::maybe_sent && effect == Effect::possible}};
  return Failure{Error{AH_CANCELLED, json::serialize(body)}, e.delivery, std::nullopt};
}

std::string id_string(const json::value *v) {
  if (v == nullptr)
    return {};
  if (v->is_string())
    return std::string(v->as_string());
  if (v->is_int64())
    return std::to_string(v->as_int64());
  if (v->is_uint64())
    return std::to_string(v->as_uint64());
  return {};
}

std::string GraphClient::url_for(const Call &call, std::string_view token) const {
  std::string url = origin_;
  if (call.versioning == Versioning::versioned) {
    append_path(url, "/" + config_.api_version + call.path);
  } else {
    append_path(url, call.path);
  }
  if (call.method != http::Method::post) {
    char separator = '?';
    for (const auto &[k, v] : call.params) {
      url += std::exchange(separator, '&');
      append_param(url, k, v);
    }
    if (!token.empty()) {
      url += separator;
      append_param(url, "access_token", token);
    }
  }
  return url;
}

http::Request GraphClient::request_for(const Call &call) const {
  http::Request request;
  request.method = call.method;
  const bool token_as_param =
      !call.token.empty() && (config_.token_placement == TokenPlacement::query ||
                              call.versioning == Versioning::unversioned);
  if (call.method == http::Method::post) {
    Params params = call.params;
    if (token_as_param)
      params.emplace_back("access_token", call.token);
    request.body = encode_params(params);
    request.content_type = "application/x-www-form-urlencoded";
    request.url = url_for(call);
  } else {
    request.url = url_for(call, token_as_param ? std::string_view(call.token) : std::string_view());
  }
  if (!call.token.empty() && !token_as_param) {
    request.headers.add("Authorization", "Bearer " + call.token);
  }
  request.idempotent = call.idempotent;
  request.deadline = call.deadline;
  request.cancelled = call.cancelled;
  return request;
}

GraphResult<json::value> GraphClient::call(const Call &call) const {
  return send(request_for(call), call);
}

void GraphClient::call_all(const CallSource &more, std::size_t concurrency,
                           const BulkResult &on_result, const http::BulkIdle &on_idle) const {
  // Each batch supplied, by the index of its first call (the answers' indices count on).
  struct Batch {
    std::size_t first;
    std::span<const Call> calls;
  };
  std::vector<Batch> batches;
  std::size_t supplied = 0;
  std::exception_ptr failed;
  http_.send_all(
      [&] {
        std::vector<http::Request> requests;
        try {
          const std::span<const Call> calls = more();
          requests.reserve(calls.size());
          for (const Call &c : calls)
            requests.push_back(request_for(c));
          if (!calls.empty()) {
            batches.push_back({supplied, calls});
            supplied += calls.size();
          }
        } catch (...) {
          failed = std::current_exception();
          requests.clear();
        }
        return requests;
      },
      concurrency,
      [&](std::size_t index, http::Result<http::Response> response) {
        const auto batch =
            std::prev(std::upper_bound(batches.begin(), batches.end(), index,
                                       [](std::size_t i, const Batch &b) { return i < b.first; }));
        on_result(index, decode(std::move(response), batch->calls[index - batch->first]));
      },
      on_idle);
  if (failed)
    std::rethrow_exception(failed);
}

GraphResult<json::value> GraphClient::follow(const std::string &next, const std::string &token,
                                             const Call &like) const {
  auto parsed = http::uri::parse_absolute_uri(next);
  if (!parsed || parsed->encoded_host_and_port() != base_url_.encoded_host_and_port() ||
      parsed->scheme() != base_url_.scheme()) {
    return Failure{
        make_error(AH_INTERNAL, "bad_paging_url",
                   "the server returned a paging URL on another host: " + http::redact_url(next)),
        http::Delivery::not_sent, std::nullopt};
  }
  urls::url u(*parsed);
  u.params().erase("access_token");
  u.remove_fragment(); // never sent, and the token is appended to the query below
  http::Request request;
  request.method = http::Method::get;
  request.url = u.buffer();
  if (config_.token_placement == TokenPlacement::query) {
    if (!u.has_query()) {
      request.url += '?';
    } else if (!u.encoded_query().empty()) {
      request.url += '&';
    }
    append_param(request.url, "access_token", token);
  } else {
    request.headers.add("Authorization", "Bearer " + token);
  }
  return send(std::move(request), like);
}

GraphResult<json::value> GraphClient::send(http::Request request, const Call &call) const {
  request.idempotent = call.idempotent;
  request.deadline = call.deadline;
  request.cancelled = call.cancelled;
  return decode(http_.send(std::move(request)), call);
}

GraphResult<json::value> GraphClient::decode(http::Result<http::Response> response,
                                             const Call &call) const {
  if (!response) {
    const http::Error &e = response.error();
    const bool reads = call.method == http::Method::get || call.method == http::Method::head;
    const Effect effect = reads ? Effect::none : Effect::possible;
    if (e.kind == http::ErrorKind::timeout && call.deadline &&
        std::chrono::steady_clock::now() >= *call.deadline) {
      return deadline_failure(e, effect);
    }
    return transport_failure(e, effect);
  }
  const int status = response->status;
  if (status >= 200 && status < 300) {
    boost::system::error_code ec;
    // One arena per answer, kept alive by the value: two allocations instead of one per
    // member and string.
    json::value body =
        json::parse(response->body, ec, json::make_shared_resource<json::monotonic_resource>());
    if (!ec)
      return body;
    return Failure{make_error(AH_RETRY_LATER, "malformed_response",
                              "the Threads API answered HTTP " + std::to_string(status) +
                                  " with a body that is not valid JSON (" + ec.message() + ")"),
                   http::Delivery::maybe_sent, std::nullopt};
  }
  GraphError error;
  error.http_status = status;
  if (auto parsed = parse_error(status, response->body))
    error = std::move(*parsed);
  Verdict verdict = classify(error, call.operation);
  // The server's own hint (seconds or an HTTP-date) beats the catalogue's estimate; rounded
  // up, so a caller that waits retry_after_s never comes back early.
  if (auto header = response->headers.find("Retry-After")) {
    if (auto wait = http::parse_retry_after(*header, std::chrono::system_clock::now())) {
      verdict.retry_after_s = static_cast<int>((wait->count() + 999) / 1000);
    }
  }
  return Failure{Error{verdict.status, error_body(error, verdict)}, http::Delivery::maybe_sent,
                 error};
}

} // namespace threads::graph
