// Recognising PostgreSQL URLs and finding the secrets in them, as libpq reads them.
#include "store/pg/pg_url.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace autohost::store::pg {
namespace {

constexpr std::string_view mask = "***";

// [begin, end) of one secret inside the location, and the value libpq would use.
struct SecretSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string value;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Percent-decoding that keeps a malformed escape as it is (libpq rejects it; we only look).
std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool is_secret_keyword(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return key == "password" || key == "sslpassword";
}

std::vector<SecretSpan> url_secrets(std::string_view url) {
  std::vector<SecretSpan> spans;
  const std::size_t authority = url.find("://") + 3;
  const std::size_t query = std::min(url.find('?', authority), url.size());
  // The last '@' before the query ends the user info: a password with an unencoded '@' or
  // '/' is still covered, at worst with part of the host.
  const std::size_t at = url.substr(0, query).rfind('@');
  if (at != std::string_view::npos && at >= authority) {
    const std::size_t colon = url.substr(0, at).find(':', authority);
    if (colon != std::string_view::npos)
      spans.push_back({colon + 1, at, percent_decode(url.substr(colon + 1, at - colon - 1))});
  }
  for (std::size_t begin = query + 1; begin < url.size();) {
    const std::size_t end = std::min(url.find('&', begin), url.size());
    const std::string_view param = url.substr(begin, end - begin);
    const std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && is_secret_keyword(percent_decode(param.substr(0, eq))))
      spans.push_back({begin + eq + 1, end, percent_decode(param.substr(eq + 1))});
    begin = end + 1;
  }
  return spans;
}

// libpq's keyword/value form: key = value | key = 'quoted \' value', separated by spaces.
std::vector<SecretSpan> keyword_secrets(std::string_view text) {
  std::vector<SecretSpan> spans;
  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
  };
  while (true) {
    skip_space();
    if (i >= text.size())
      break;
    const std::size_t key_begin = i;
    while (i < text.size() && text[i] != '=' && !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    const std::string key(text.substr(key_begin, i - key_begin));
    skip_space();
    if (i >= text.size() || text[i] != '=') {
      spans.push_back({key_begin, text.size(), {}}); // malformed: hide the rest
      break;
    }
    ++i;
    skip_space();
    const std::size_t value_begin = i;
    std::string value;
    if (i < text.size() && text[i] == '\'') {
      for (++i; i < text.size() && text[i] != '\''; ++i) {
        if (text[i] == '\\' && i + 1 < text.size())
          ++i;
        value += text[i];
      }
      if (i < text.size())
        ++i; // the closing quote
    } else {
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
        value += text[i++];
    }
    if (is_secret_keyword(key))
      spans.push_back({value_begin, i, std::move(value)});
  }
  return spans;
}

std::vector<SecretSpan> secrets_of(std::string_view location) {
  if (location.find("://") != std::string_view::npos) // any scheme: mysql://u:pw@... too
    return url_secrets(location);
  if (location.find('=') == std::string_view::npos)
    return {}; // a file path
  return keyword_secrets(location);
}

void replace_all(std::string &text, std::string_view secret) {
  if (secret.empty())
    return;
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + mask.size()))
    text.replace(at, secret.size(), mask);
}

} // namespace

bool is_postgres_url(std::string_view location) noexcept {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string redact(std::string_view location) {
  std::string out;
  std::size_t copied = 0;
  for (const SecretSpan &span : secrets_of(location)) {
    out += location.substr(copied, span.begin - copied);
    out += mask;
    copied = span.end;
  }
  out += location.substr(copied);
  return out;
}

std::string scrub(std::string text, std::string_view location) {
  std::vector<std::string> secrets;
  for (SecretSpan &span : secrets_of(location)) {
    secrets.emplace_back(location.substr(span.begin, span.end - span.begin));
    secrets.push_back(std::move(span.value));
  }
  // Longest first, so a secret that contains another is not left half-masked.
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
  for (const std::string &secret : secrets)
    replace_all(text, secret);
  return text;
}

} // namespace autohost::store::pg
