// libFuzzer harness: a host's secret_list answer (a host of any quality), read by the
// streaming reader every account, app and authorisation listing goes through, against
// Boost.JSON's document: the same names, or a clean error for the same inputs.
#include "auth/secret_listing.hpp"
#include "fuzz_check.hpp"

#include <optional>
#include <vector>

namespace {

namespace json = boost::json;
constexpr std::string_view prefix = "threads/accounts/";

// The names the document holds, or nullopt when it is not an array of objects each with a
// string "key" (the last of equal members: the document keeps that one).
std::optional<std::vector<std::string>> document_names(std::string_view text) {
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec || !doc.is_array())
    return std::nullopt;
  std::vector<std::string> names;
  for (const json::value &entry : doc.as_array()) {
    const json::value *key = entry.is_object() ? entry.as_object().if_contains("key") : nullptr;
    if (key == nullptr || !key->is_string())
      return std::nullopt;
    std::string_view name = key->as_string();
    if (!name.starts_with(prefix))
      continue;
    name.remove_prefix(prefix.size());
    if (name.find('/') == std::string_view::npos)
      names.emplace_back(name);
  }
  return names;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text = fuzz::text_of(data, size);
  const auto listed = threads::auth::listed_names(text, prefix, true);
  const auto expected = document_names(text);
  if (!listed) {
    fuzz::require_clean_error(listed.error(), "a listing");
    fuzz::require(!expected.has_value(), "a listing the document reads was refused",
                  std::string(text));
    return 0;
  }
  fuzz::require(expected.has_value(), "a listing the document refuses was read", std::string(text));
  fuzz::require(listed.value() == *expected, "the names differ from the document's",
                std::string(text));
  return 0;
}
