// Cursor paging: cursors are base64url post ids; next/previous URLs repeat the request.
#include "paging.hpp"

#include <boost/json.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>

namespace sandbox {
namespace json = boost::json;

namespace {

constexpr std::string_view b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode_cursor(std::string_view id) {
  const std::string raw = "cursor:" + std::string(id);
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char c : raw) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += b64[(bits >> count) & 0x3F];
    }
  }
  if (count > 0) {
    out += b64[(bits << (6 - count)) & 0x3F];
  }
  return out;
}

std::optional<std::string> decode_cursor(std::string_view cursor) {
  std::string raw;
  unsigned bits = 0;
  int count = 0;
  for (char c : cursor) {
    const auto index = b64.find(c);
    if (index == std::string_view::npos) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<unsigned>(index);
    count += 6;
    if (count >= 8) {
      count -= 8;
      raw += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  constexpr std::string_view prefix = "cursor:";
  if (raw.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  return raw.substr(prefix.size());
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// "YYYY-MM-DD", optionally "THH:MM[:SS]" and "Z", "+0000" or "+00:00"; always UTC.
std::optional<TimePoint> parse_date(std::string_view text) {
  std::tm parts{};
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::array<char, 16> zone{};
  const std::string s(text);
  const int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &year, &month, &day, &hour,
                            &minute, &second, zone.data());
  if (n < 3 || month < 1 || month > 12 || day < 1 || day > 31) {
    return std::nullopt;
  }
  const std::string_view z(zone.data());
  if (n == 7 && !(z == "Z" || z == "+0000" || z == "+00:00")) {
    return std::nullopt;
  }
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = n >= 4 ? hour : 0;
  parts.tm_min = n >= 5 ? minute : 0;
  parts.tm_sec = n >= 6 ? second : 0;
  return from_unix_seconds(static_cast<std::int64_t>(timegm(&parts)));
}

std::string page_url(const Context &ctx, std::string_view cursor_key, std::string_view cursor) {
  boost::urls::url url;
  url.set_scheme("https");
  url.set_encoded_authority(ctx.request.host.empty() ? "127.0.0.1" : ctx.request.host);
  url.set_path(ctx.path);
  for (const auto &[key, value] : ctx.params) {
    if (key != "before" && key != "after") {
      url.params().append({key, value});
    }
  }
  url.params().append({cursor_key, cursor});
  return std::string(url.buffer());
}

} // namespace

Expected<PageRequest, GraphError> read_page_request(const Context &ctx, std::size_t default_limit) {
  PageRequest request;
  request.limit = default_limit;
  if (ctx.has_param("limit")) {
    const auto limit = parse_int(ctx.param("limit"));
    if (!limit || *limit < 0) {
      return unexpected(errors::invalid_parameter("limit", "must be a non-negative integer"));
    }
    // The documented maximum is 100; larger values are clamped rather than refused.
    request.limit = static_cast<std::size_t>(std::min<std::int64_t>(*limit, 100));
  }
  if (ctx.has_param("before") && ctx.has_param("after")) {
    return unexpected(
        errors::invalid_parameter("before", "before and after cannot be used together"));
  }
  for (const auto key : {std::string_view("before"), std::string_view("after")}) {
    if (!ctx.has_param(key)) {
      continue;
    }
    const auto id = decode_cursor(ctx.param(key));
    if (!id || ctx.world.find_post(*id) == nullptr) {
      return unexpected(errors::invalid_parameter(key, "the cursor is not valid"));
    }
    (key == "before" ? request.before : request.after) = *id;
  }
  return request;
}

Expected<std::optional<TimePoint>, GraphError> read_time_param(const Context &ctx,
                                                               std::string_view name) {
  if (!ctx.has_param(name)) {
    return std::optional<TimePoint>{};
  }
  const std::string_view text = ctx.param(name);
  if (const auto secs = parse_int(text)) {
    return std::optional<TimePoint>{from_unix_seconds(*secs)};
  }
  if (const auto date = parse_date(text)) {
    return std::optional<TimePoint>{*date};
  }
  return unexpected(
      errors::invalid_parameter(name, "must be a Unix timestamp or a date like 2024-07-01"));
}

Expected<std::vector<const PostRecord *>, GraphError>
filter_by_time(const Context &ctx, std::vector<const PostRecord *> posts) {
  const auto since = read_time_param(ctx, "since");
  if (!since) {
    return unexpected(since.error());
  }
  const auto until = read_time_param(ctx, "until");
  if (!until) {
    return unexpected(until.error());
  }
  if (*since && unix_seconds(**since) < 1688540400) {
    return unexpected(errors::invalid_parameter("since", "must be at least 1688540400"));
  }
  if (*since && *until && **since >= **until) {
    return unexpected(errors::invalid_parameter("since", "must be earlier than until"));
  }
  std::erase_if(posts, [&](const PostRecord *p) {
    return (*since && p->timestamp < **since) || (*until && p->timestamp > **until);
  });
  return posts;
}

bool newest_first(const PostRecord &a, const PostRecord &b) {
  return a.timestamp != b.timestamp ? a.timestamp > b.timestamp : a.seq > b.seq;
}

bool oldest_first(const PostRecord &a, const PostRecord &b) {
  return a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.seq < b.seq;
}

Expected<json::object, GraphError>
page_json(const Context &ctx, const std::vector<const PostRecord *> &ordered,
          const PostOrder &order, const PageRequest &request,
          const std::function<json::object(const PostRecord &)> &render) {
  std::size_t begin = 0; // the page is ordered[begin, end)
  std::size_t end = 0;
  if (!request.after.empty()) {
    const PostRecord &cursor = *ctx.world.find_post(request.after);
    begin = static_cast<std::size_t>(
        std::find_if(ordered.begin(), ordered.end(),
                     [&](const PostRecord *p) { return order(cursor, *p); }) -
        ordered.begin());
    end = std::min(ordered.size(), begin + request.limit);
  } else if (!request.before.empty()) {
    const PostRecord &cursor = *ctx.world.find_post(request.before);
    end = static_cast<std::size_t>(
        std::find_if(ordered.begin(), ordered.end(),
                     [&](const PostRecord *p) { return !order(*p, cursor); }) -
        ordered.begin());
    begin = end > request.limit ? end - request.limit : 0;
  } else {
    end = std::min(ordered.size(), request.limit);
  }

  json::array data;
  for (std::size_t i = begin; i < end; ++i) {
    data.push_back(render(*ordered[i]));
  }
  json::object out{{"data", std::move(data)}};
  if (begin < end) {
    const std::string first = encode_cursor(ordered[begin]->id);
    const std::string last = encode_cursor(ordered[end - 1]->id);
    json::object paging{{"cursors", json::object{{"before", first}, {"after", last}}}};
    if (end < ordered.size()) {
      paging["next"] = page_url(ctx, "after", last);
    }
    if (begin > 0) {
      paging["previous"] = page_url(ctx, "before", first);
    }
    out["paging"] = std::move(paging);
  }
  return out;
}

} // namespace sandbox
