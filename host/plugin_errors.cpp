// Bounding what a plugin sends back (errors, output, log fields) before the host prints,
// logs or stores it.
#include "plugin_errors.hpp"

#include "errors.hpp"

#include <autohost/cut_text.hpp>

#include <boost/json.hpp>

namespace autohost::host {
namespace json = boost::json;

namespace {

// The most bytes of a bounded error body: a few cut texts and the usual small fields.
constexpr std::size_t max_error_body_bytes = 4 * max_error_text_bytes;

// Cuts every string in `v`; json::parse bounds the depth, so the recursion is bounded.
void cut_strings(json::value &v) {
  if (v.is_string() && v.as_string().size() > max_error_text_bytes) {
    v = cut_text(v.as_string());
  } else if (v.is_object()) {
    for (auto &member : v.as_object())
      cut_strings(member.value());
  } else if (v.is_array()) {
    for (auto &item : v.as_array())
      cut_strings(item);
  }
}

} // namespace

Error bound_plugin_error(Error error) {
  if (error.body.size() <= max_error_text_bytes)
    return error;
  boost::system::error_code ec;
  json::value body = json::parse(error.body, ec);
  if (ec || !body.is_object())
    return make_error(error.status, status_name(error.status), cut_text(error.body));
  cut_strings(body);
  std::string text = json::serialize(body);
  if (text.size() > max_error_body_bytes) {
    // Many fields: keep what callers act on, code and message (both cut already).
    json::object kept;
    for (const char *name : {"code", "message"}) {
      if (const json::value *v = body.as_object().if_contains(name))
        kept[name] = *v;
    }
    text = json::serialize(kept);
  }
  return Error{error.status, std::move(text)};
}

Result<std::string> bound_plugin_result(Result<std::string> result) {
  if (!result)
    return bound_plugin_error(std::move(result).error());
  std::string &output = result.value();
  if (output.size() <= max_error_text_bytes)
    return result;
  boost::system::error_code ec;
  json::value parsed = json::parse(output, ec);
  const std::size_t size = output.size();
  if (ec) {
    output = cut_text(output, max_plugin_output_bytes);
  } else {
    cut_strings(parsed);
    output = json::serialize(parsed);
  }
  if (output.size() > max_plugin_output_bytes) {
    return make_error(AH_INTERNAL, "output_too_large",
                      "the plugin's output is " + std::to_string(size) +
                          " bytes, more than the host takes (" +
                          std::to_string(max_plugin_output_bytes) + ")");
  }
  return result;
}

std::string bound_log_fields(std::string_view fields_json) {
  if (fields_json.size() <= max_error_text_bytes)
    return std::string(fields_json);
  boost::system::error_code ec;
  json::value fields = json::parse(fields_json, ec);
  std::string text;
  if (!ec && fields.is_object()) {
    cut_strings(fields);
    text = json::serialize(fields);
  }
  if (text.empty() || text.size() > max_error_body_bytes)
    text = json::serialize(json::object{{"fields_cut", fields_json.size()}});
  return text;
}

} // namespace autohost::host
