// libFuzzer harness: an account's token record as read back from the secret store (a
// damaged or hand-edited value), by the streaming reader every plugin call goes through.
#include "auth/token_record.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace threads::auth;
namespace json = boost::json;

// The member `name` as Boost.JSON's document reader sees it: the last of equal keys wins.
const json::value *member(const json::object &o, std::string_view name) {
  const json::value *found = nullptr;
  for (const auto &field : o) {
    if (field.key() == name)
      found = &field.value();
  }
  return found;
}

std::string string_member(const json::object &o, std::string_view name) {
  const json::value *v = member(o, name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text = fuzz::text_of(data, size);
  const auto record = token_record_from_json("fuzz", text);
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  const json::object *o = ec ? nullptr : doc.if_object();
  if (!record) {
    fuzz::require_clean_error(record.error(), "a damaged record");
    const bool not_object = record.error().body.find("not a JSON object") != std::string::npos;
    fuzz::require(not_object == (o == nullptr),
                  "the reader and Boost.JSON disagree on whether this is one JSON object",
                  std::string(text));
    return 0;
  }
  fuzz::require(o != nullptr, "a record was read from what is not one JSON object",
                std::string(text));
  fuzz::require(!record->access_token.empty(), "a record without an access token was read");
  fuzz::require(record->access_token == string_member(*o, "access_token") &&
                    record->username == string_member(*o, "username") &&
                    record->previous_token == string_member(*o, "previous_token"),
                "a string member differs from the document's last member of that name",
                std::string(text));
  std::vector<std::string> scopes;
  if (const json::value *s = member(*o, "scopes"); s != nullptr && s->is_array()) {
    for (const auto &scope : s->as_array()) {
      if (scope.is_string())
        scopes.emplace_back(scope.as_string());
    }
  }
  fuzz::require(record->scopes == scopes, "the scopes differ from the document's",
                std::string(text));
  const json::value *expires = member(*o, "expires_at_ms");
  fuzz::require(record->expires_at_ms ==
                    (expires != nullptr && expires->is_int64() ? expires->as_int64() : 0),
                "expires_at_ms differs from the document's", std::string(text));
  // What is written back reads back the same.
  const auto again = token_record_from_json("fuzz", to_json(record.value()));
  fuzz::require(again.has_value() && again->access_token == record->access_token &&
                    again->scopes == record->scopes && again->kind == record->kind &&
                    again->status == record->status &&
                    again->expires_at_ms == record->expires_at_ms,
                "a record read does not survive being written and read again", std::string(text));
  return 0;
}
