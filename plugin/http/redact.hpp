// Removes secrets from URLs before they reach a log line or an error message.
#pragma once

#include "http/message.hpp"

#include <string>
#include <string_view>

namespace threads::http {

// `url` with the values of secret query and fragment parameters (access_token,
// client_secret, code, input_token, fb_exchange_token, refresh_token, and any name that
// contains "token", "secret" or "password") and the userinfo password replaced by
// "REDACTED". Text that does not parse as a URL keeps only what precedes '?' and '#'.
std::string redact_url(std::string_view url) noexcept;

// redact_url(url) without its userinfo at all ("https://user:pw@host" -> "https://host"):
// the form a URL from the config is shown in, since a user name may be a secret too.
std::string without_userinfo(std::string_view url) noexcept;

// "GET <redact_url(url)>": how messages and logs name a request. Built only when one is
// written, not for every request.
std::string describe_request(Method method, std::string_view url);

} // namespace threads::http
