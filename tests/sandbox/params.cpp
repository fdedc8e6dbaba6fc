// Parses query strings, urlencoded and multipart forms and JSON bodies into one parameter map.
#include "params.hpp"

#include "text_rules.hpp"

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include <algorithm>
#include <cctype>

namespace sandbox {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// The value of `name` in a header like `multipart/form-data; boundary="x"` or
// `form-data; name="field"`; empty when absent.
std::string header_attribute(std::string_view header, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = trim(header.substr(pos));
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos || ascii_lower(trim(rest.substr(0, eq))) != name) {
      continue;
    }
    std::string_view value = trim(rest.substr(eq + 1));
    if (!value.empty() && value.front() == '"') {
      const auto close = value.find('"', 1);
      return std::string(value.substr(1, close == std::string_view::npos ? value.npos : close - 1));
    }
    return std::string(value.substr(0, value.find(';')));
  }
  return {};
}

Expected<Params, std::string> parse_json_body(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) {
    return unexpected(std::string("the JSON body is not a JSON object"));
  }
  Params params;
  for (const auto &entry : doc.get_object()) {
    const boost::json::value &v = entry.value();
    // Graph takes every parameter as text; nested objects (poll_attachment) stay JSON text.
    params[std::string(entry.key())] =
        v.is_string() ? std::string(v.get_string()) : boost::json::serialize(v);
  }
  return params;
}

} // namespace

std::string escape_forbidden_uri_chars(std::string_view text) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F ||
        std::string_view("{}|\\^`\"<>[]").find(c) != std::string_view::npos) {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    } else {
      out += c;
    }
  }
  return out;
}

Expected<Params, std::string> parse_form(std::string_view encoded) {
  Params params;
  if (encoded.empty()) {
    return params;
  }
  const std::string escaped = escape_forbidden_uri_chars(encoded);
  const auto parsed = boost::urls::parse_query(escaped);
  if (!parsed) {
    return unexpected("malformed query or form encoding: " + parsed.error().message());
  }
  const boost::urls::params_view view(boost::urls::params_view(*parsed),
                                      boost::urls::encoding_opts(true));
  for (const auto &param : view) {
    if (!param.key.empty()) {
      params.emplace(param.key, param.value); // the first occurrence wins
    }
  }
  return params;
}

Expected<Params, std::string> parse_multipart(std::string_view content_type,
                                              std::string_view body) {
  const std::string boundary = header_attribute(content_type, "boundary");
  if (boundary.empty()) {
    return unexpected(std::string("multipart/form-data without a boundary"));
  }
  const std::string delimiter = "--" + boundary;
  Params params;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) {
    return unexpected(std::string("multipart body without its boundary"));
  }
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") {
      return params; // closing delimiter
    }
    const auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) {
      return unexpected(std::string("multipart part without a blank line after its headers"));
    }
    const std::string_view headers = body.substr(pos, headers_end - pos);
    const auto content_start = headers_end + 4;
    const auto next = body.find("\r\n" + delimiter, content_start);
    if (next == std::string_view::npos) {
      return unexpected(std::string("multipart body ends inside a part"));
    }
    std::string name;
    std::size_t line_start = 0;
    while (line_start < headers.size()) {
      auto line_end = headers.find("\r\n", line_start);
      if (line_end == std::string_view::npos) {
        line_end = headers.size();
      }
      const std::string_view line = headers.substr(line_start, line_end - line_start);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos &&
          ascii_lower(trim(line.substr(0, colon))) == "content-disposition") {
        name = header_attribute(line.substr(colon + 1), "name");
      }
      line_start = line_end + 2;
    }
    if (name.empty()) {
      return unexpected(std::string("multipart part without a name"));
    }
    params.emplace(name, std::string(body.substr(content_start, next - content_start)));
    pos = next + 2;
  }
}

Expected<Params, std::string> gather_params(std::string_view encoded_query,
                                            std::string_view content_type, std::string_view body) {
  auto params = parse_form(encoded_query);
  if (!params) {
    return params;
  }
  const std::string type = ascii_lower(trim(content_type.substr(0, content_type.find(';'))));
  Expected<Params, std::string> from_body = Params{};
  if (type == "application/x-www-form-urlencoded") {
    std::string_view form = body;
    while (!form.empty() && (form.back() == '\n' || form.back() == '\r')) {
      form.remove_suffix(1); // a file sent with curl --data-binary @file
    }
    from_body = parse_form(trim(form));
  } else if (type == "multipart/form-data") {
    from_body = parse_multipart(content_type, body);
  } else if (type == "application/json" && !trim(body).empty()) {
    from_body = parse_json_body(body);
  }
  if (!from_body) {
    return from_body;
  }
  for (auto &[key, value] : *from_body) {
    (*params)[key] = std::move(value);
  }
  return params;
}

} // namespace sandbox
