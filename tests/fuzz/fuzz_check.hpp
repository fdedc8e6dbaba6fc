// What every harness asserts about an outcome: an abort with a message when a rule breaks,
// so libFuzzer records the input as a crash.
#pragma once

#include <autohost/result.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace fuzz {

inline std::string_view text_of(const std::uint8_t *data, std::size_t size) {
  return {reinterpret_cast<const char *>(data), size};
}

[[noreturn]] inline void fail(std::string_view rule, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz rule broken: %.*s\n%.*s\n", static_cast<int>(rule.size()), rule.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void require(bool holds, std::string_view rule, std::string_view detail = {}) {
  if (!holds)
    fail(rule, detail);
}

// JSON text that must parse back (printed output, error bodies).
inline boost::json::value must_parse(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec)
    fail(std::string(what) + " is not valid JSON", text);
  return v;
}

// An expected failure: a real status and a JSON body {"code": string, "message": string}.
inline void require_clean_error(const autohost::Error &error, std::string_view what) {
  require(error.status != AH_OK, std::string(what) + ": an error with status ok", error.body);
  const boost::json::value body = must_parse(error.body, std::string(what) + " error body");
  const boost::json::object *o = body.if_object();
  require(o != nullptr && o->contains("code") && o->at("code").is_string() &&
              o->contains("message") && o->at("message").is_string() &&
              !o->at("message").as_string().empty(),
          std::string(what) + ": the error body lacks a code or message", error.body);
}

} // namespace fuzz
