// Calls to the Threads Graph API: URL building, token placement, response decoding and
// error classification on top of the HTTP layer.
#pragma once

#include "config.hpp"
#include "graph/graph_error.hpp"
#include "graph/url_encoding.hpp"
#include "http/client.hpp"

#include <autohost/result.hpp>

#include <boost/json/value.hpp>
#include <boost/url/url.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace threads::graph {

enum class Versioning { versioned, unversioned }; // token endpoints are unversioned

struct Call {
  http::Method method = http::Method::get;
  std::string path; // "/me", "/12345/threads"; no version prefix
  Versioning versioning = Versioning::versioned;
  Params params;     // query for GET/DELETE, form body for POST
  std::string token; // user token; placed as configured. Empty: none.
  Operation operation = Operation::read;
  std::optional<bool> idempotent; // default: GET/DELETE yes, POST no
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::function<bool()> cancelled;
};

// Why a call failed: the ABI error to return, and whether a non-idempotent request may
// have reached the server (a publish whose outcome must be checked).
struct Failure {
  autohost::Error error;
  http::Delivery delivery = http::Delivery::not_sent;
  std::optional<GraphError> graph; // set when the server answered with an error
};

template <class T> using GraphResult = autohost::Result<T, Failure>;

class GraphClient {
public:
  // `config.graph_base_url` must be valid (parse_config checks it).
  GraphClient(const Config &config, http::Client &http)
      : config_(config), http_(http), base_url_(config.graph_base_url),
        origin_(base_url_.encoded_origin()) {}

  // The decoded JSON of a 2xx answer, or a classified failure.
  GraphResult<boost::json::value> call(const Call &call) const;

  // Runs the calls `more` supplies, a batch at a time (see http::BulkSource; a batch must
  // stay alive and unchanged until its answers have been delivered), with at most
  // `concurrency` in flight over the shared connection pool; `on_result(index, outcome)`
  // runs on the calling thread as answers arrive (it may block, e.g. on a store write;
  // `index` counts on across batches), and `on_idle` whenever every answer so far has been
  // delivered and more are awaited. Returns when all have been delivered; an exception from
  // `more` ends the supply and is thrown then.
  using BulkResult = std::function<void(std::size_t index, GraphResult<boost::json::value>)>;
  using CallSource = std::function<std::span<const Call>()>;
  void call_all(const CallSource &more, std::size_t concurrency, const BulkResult &on_result,
                const http::BulkIdle &on_idle = {}) const;

  // Follows a paging URL the server returned (`paging.next`), re-placing the token as
  // configured. Only URLs on the configured Graph host are followed.
  GraphResult<boost::json::value> follow(const std::string &url, const std::string &token,
                                         const Call &like) const;

  // The absolute URL for a path and query parameters (no token), for tests and logs.
  std::string url_for(const Call &call) const { return url_for(call, {}); }

private:
  // The request for `call`, token placed as configured; not sent.
  http::Request request_for(const Call &call) const;
  // With `token`, when not empty, as the last query parameter (access_token).
  std::string url_for(const Call &call, std::string_view token) const;
  GraphResult<boost::json::value> send(http::Request request, const Call &call) const;
  GraphResult<boost::json::value> decode(http::Result<http::Response> response,
                                         const Call &call) const;

  const Config &config_;
  http::Client &http_;
  boost::urls::url base_url_;
  std::string origin_; // "https://host[:port]", where each request's URL starts
};

// Whether a request can change something on the server (a POST or DELETE can, a GET not).
enum class Effect { none, possible };

// Turns an HTTP-layer failure into an ABI error (transport problems are retry_later,
// except TLS and invalid requests, which retrying cannot fix). The body's
// request_may_have_been_sent is true only when no answer came for a request that may have
// reached the server and could have had an effect there.
Failure transport_failure(const http::Error &error, Effect effect);
// A request stopped by the caller's deadline (Call::deadline): AH_CANCELLED with code
// "deadline_exceeded", as abi.h says, not a transient failure to retry.
Failure deadline_failure(const http::Error &error, Effect effect);

// An id from JSON, which may be a string or a bare (17-digit) number; empty when absent.
std::string id_string(const boost::json::value *v);

} // namespace threads::graph
