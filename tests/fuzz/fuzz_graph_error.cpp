// libFuzzer harness: Graph API error answers (status and body) and container error
// messages, as classified and turned into the JSON error body that crosses the ABI.
#include "fuzz_check.hpp"
#include "graph/graph_client.hpp"
#include "graph/graph_error.hpp"

namespace {

using namespace threads::graph;

constexpr Operation operations[] = {Operation::read, Operation::create_container,
                                    Operation::publish, Operation::manage, Operation::token};

void check_body(const std::string &body, const Verdict &verdict, std::string_view what) {
  const auto v = fuzz::must_parse(body, what);
  const auto *o = v.if_object();
  fuzz::require(o && o->contains("code") && o->at("code").is_string() && o->contains("message") &&
                    o->at("message").is_string(),
                std::string(what) + " lacks code or message", body);
  fuzz::require(verdict.status != AH_OK, std::string(what) + " has status ok", body);
  if (const auto *retry = o->if_contains("retry_after_s")) {
    fuzz::require(retry->is_int64() && retry->as_int64() >= 0,
                  std::string(what) + " has a negative or odd retry_after_s", body);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 2)
    return 0;
  // Statuses 100-599 from the first two bytes.
  const int status = 100 + (data[0] << 8 | data[1]) % 500;
  const std::string_view body = fuzz::text_of(data + 2, size - 2);
  auto error = parse_error(status, body);
  if (status < 200 || status >= 300)
    fuzz::require(error.has_value(), "an error status gave no GraphError");
  if (error) {
    fuzz::require(error->http_status == status, "the GraphError lost the HTTP status");
    for (Operation op : operations) {
      const Verdict verdict = classify(*error, op);
      check_body(error_body(*error, verdict), verdict, "the error body");
    }
  }
  // A 2xx answer: a container status's error_message, and ids, which are strings or bare
  // integers (anything else, 1e400 or true, is no id).
  boost::system::error_code ec;
  const boost::json::value answer = boost::json::parse(body, ec);
  if (!ec && answer.is_object()) {
    if (const auto *m = answer.as_object().if_contains("error_message"); m && m->is_string()) {
      GraphError container;
      container.http_status = 200;
      const Verdict verdict = classify_container_error(m->as_string());
      check_body(error_body(container, verdict), verdict, "a container error body");
    }
    for (const auto &[key, value] : answer.as_object()) {
      const std::string id = id_string(&value);
      if (!value.is_string())
        fuzz::require(id.find_first_not_of("-0123456789") == std::string::npos,
                      "a number id is not digits", id);
    }
  }
  return 0;
}
