// Graph API errors: every envelope shape the Threads endpoints use, and the catalogue that
// maps codes, subcodes and container error messages to a plugin status and advice.
#pragma once

#include <autohost/abi.h>

#include <optional>
#include <string>
#include <string_view>

namespace threads::graph {

// An error as the server sent it, whichever of the three shapes it came in:
// {"error":{...}} (Graph), {"error_type","code","error_message"} (code exchange) or
// {"error_message","error_code"} (authorize window).
struct GraphError {
  int http_status = 0;
  std::optional<long long> code;
  std::optional<long long> subcode;
  std::string type;
  std::string message;
  std::string user_title;
  std::string user_message;
  std::string fbtrace_id;
  std::optional<bool> is_transient;
};

// Reads an error from a response. Bodies that are not an error envelope (or not JSON)
// still give a GraphError carrying the HTTP status when the status is not 2xx; a 2xx
// response without an envelope gives nullopt.
std::optional<GraphError> parse_error(int http_status, std::string_view body);

// The labels of the host counter "http_answers" (ABI 1.3 count) for one answer, as JSON:
// the HTTP status and, for an error envelope with a code, that code ("" otherwise).
std::string http_answer_labels(int http_status, std::string_view body);

// What the request was, because the same code means different things in different places
// (24/4279009 is "not ready yet" only when publishing).
enum class Operation { read, create_container, publish, manage, token };

struct Verdict {
  ah_status status = AH_INTERNAL;
  std::string code;   // stable machine name, e.g. "token_expired", "rate_limited"
  std::string advice; // what the user should do, one sentence
  std::optional<int> retry_after_s;
};

Verdict classify(const GraphError &error, Operation operation);

// The JSON error body that crosses the ABI: code, message (server text + advice), the
// Threads code/subcode, fbtrace_id, retry_after_s. Never contains request URLs or tokens.
std::string error_body(const GraphError &error, const Verdict &verdict);

// A container that ended in status ERROR, by its `error_message`.
Verdict classify_container_error(std::string_view error_message);

} // namespace threads::graph
