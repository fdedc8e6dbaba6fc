// The simulated service's data: apps, users, tokens, codes, containers, posts, quotas, config.
#pragma once

#include "clock.hpp"
#include "faults.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sandbox {

inline constexpr std::string_view default_app_id = "1000000000000001";
inline constexpr std::string_view default_app_secret = "sandbox-app-secret";
inline constexpr std::string_view default_user_id = "17841400000000001";
inline constexpr std::string_view default_username = "threadsapitestuser";

inline constexpr Millis auth_code_life = hours(1);
inline constexpr Millis short_token_life = hours(1);
inline constexpr Millis long_token_life = days(60);
inline constexpr Millis refresh_min_age = hours(24);
inline constexpr Millis permission_grant_life = days(90);
inline constexpr Millis quota_window = hours(24);

// Every permission of threads-api.md 1.9, in the order FB-sample requests them.
const std::vector<std::string> &all_scopes();
// The empty scope set that tokens without scopes share.
const std::shared_ptr<const std::set<std::string>> &no_scopes();
bool is_known_scope(std::string_view scope);

struct AppRecord {
  std::string id;
  std::string secret;
};

struct SearchedKeyword {
  std::string query;
  TimePoint at;
};

struct UserRecord {
  std::string id;
  std::string username;
  std::string name;
  std::string biography;
  std::string profile_picture_url;
  bool is_verified = false;
  bool is_eligible_for_geo_gating = true;
  std::int64_t followers_count = 0;
  std::vector<SearchedKeyword> recently_searched; // newest first
};

enum class TokenKind { short_lived, long_lived, app };
std::string_view token_kind_name(TokenKind kind);

struct TokenRecord {
  std::string value;
  TokenKind kind = TokenKind::short_lived;
  std::string app_id;
  std::string user_id; // empty for app tokens
  // Shared by a token and those exchanged or refreshed from it: a benchmark's refreshes
  // issue hundreds of thousands of tokens, and this set was most of each one's memory.
  // Never null: tokens without scopes (app tokens) share one empty set.
  std::shared_ptr<const std::set<std::string>> scopes = no_scopes();
  TimePoint issued_at;
  TimePoint expires_at; // app tokens: TimePoint::max()
  TimePoint data_access_expires_at;
  bool revoked = false; // refreshed with revoke_on_refresh on
};

struct AuthCode {
  std::string app_id;
  std::string user_id;
  std::string redirect_uri;
  std::set<std::string> scopes;
  TimePoint expires_at;
  bool used = false;
};

enum class MediaKind { text, image, video, carousel };
std::string_view media_kind_name(MediaKind kind); // the create-side media_type value

struct PollSpec {
  std::vector<std::string> options; // option_a .. option_d, 2 to 4 of them
};

struct SpoilerRange {
  std::int64_t offset = 0;
  std::int64_t length = 0;
};

struct TextAttachment {
  std::string plaintext;
  std::string link_url;
};

struct GifSpec {
  std::string gif_id;
  std::string provider;
};

// What a post shows; filled and validated at container creation, copied at publish.
struct PostContent {
  MediaKind kind = MediaKind::text;
  std::string text;
  std::string image_url;
  std::string video_url;
  std::string alt_text;
  std::string link_attachment;
  std::string reply_to_id;
  std::string quote_post_id;
  std::string topic_tag;
  std::string reply_control; // lower case as sent; empty = everyone
  std::string location_id;
  std::vector<std::string> allowlisted_country_codes;
  std::optional<PollSpec> poll;
  std::vector<SpoilerRange> spoilers;
  std::optional<TextAttachment> text_attachment;
  std::optional<GifSpec> gif;
  bool is_spoiler_media = false;
  bool is_ghost_post = false;
  bool enable_reply_approvals = false;
};

enum class ContainerStatus { in_progress, finished, published, error, expired };
std::string_view container_status_name(ContainerStatus status);

struct ContainerRecord {
  std::string id;
  std::string owner_id;
  std::string app_id;
  bool is_carousel_item = false;
  PostContent content;
  std::vector<std::string> children; // carousel: child container ids
  TimePoint created_at;
  TimePoint ready_at;         // processing ends (sandbox time)
  std::string injected_error; // non-empty: processing ends in ERROR with this error_message
  std::string published_media_id;
};

enum class ReadMediaType { text_post, image, video, carousel_album, repost_facade };
std::string_view read_media_type_name(ReadMediaType type);

enum class HideStatus { not_hushed, unhushed, hidden };
std::string_view hide_status_name(HideStatus status);

struct Metrics {
  std::int64_t views = 0;
  std::int64_t likes = 0;
  std::int64_t shares = 0;
};

struct PostRecord {
  std::string id;
  std::uint64_t seq = 0; // creation order, the tie-breaker for equal timestamps
  std::string owner_id;
  std::string container_id;
  std::string shortcode;
  ReadMediaType media_type = ReadMediaType::text_post;
  PostContent content;
  std::vector<std::string> children; // carousel album: child media ids
  std::string album_id;              // carousel child: its album; such posts are never listed
  std::string root_post_id;          // replies: the top-level post of the conversation
  std::string replied_to_id;         // replies: the post answered
  std::string reposted_post_id;      // REPOST_FACADE
  HideStatus hide_status = HideStatus::not_hushed;
  std::int64_t visible_direct_replies = 0; // kept by publish and delete, for has_replies
  TimePoint timestamp;
  std::optional<TimePoint> deleted_at;
  Metrics metrics;

  bool is_reply() const { return !replied_to_id.empty(); }
  bool visible() const { return !deleted_at.has_value(); }
};

// Events in a rolling 24-hour window, oldest first. count() forgets the events that left
// the window, so it stays O(1) in long benchmarks; after the clock was moved back, events
// recorded "in the future" keep counting until they age out.
struct RollingLog {
  std::deque<TimePoint> events;
  std::int64_t count(TimePoint now);
  void add(TimePoint t) { events.push_back(t); }
};

struct UserQuotas {
  RollingLog posts;
  RollingLog replies;
  RollingLog deletes;
};

struct QuotaLimits {
  std::int64_t posts = 250;
  std::int64_t replies = 1000;
  std::int64_t deletes = 100;
};

// Settings tests change through POST /__sandbox/config; reset restores the defaults.
struct Config {
  std::map<MediaKind, Millis> container_delay{{MediaKind::text, seconds(1)},
                                              {MediaKind::image, seconds(3)},
                                              {MediaKind::video, seconds(10)},
                                              {MediaKind::carousel, Millis{0}}};
  // threads_publish answers 24/4279009 until a container is this old, even when FINISHED
  // (the field-reported "not ready yet" that clients must wait out).
  Millis publish_not_ready{0};
  bool revoke_on_refresh = false;
  bool accept_bearer = true;
  bool exchange_returns_expires_in = false;
  bool exchange_user_id_as_string = false;
  bool refresh_keeps_token_string = false;
  // The server does not deduplicate for the client: publishing a PUBLISHED container makes
  // another post, and a published container turns EXPIRED when its life ends.
  bool no_server_dedup = false;
  Millis container_life = hours(24);
  // Apps in development mode: debug_token refuses a user token as the caller (code 100, a
  // field report); only the app token may ask.
  bool apps_in_dev_mode = false;
  QuotaLimits quota;
};

struct Stats {
  std::map<std::string, std::uint64_t, std::less<>> requests; // by endpoint group
  std::map<std::string, std::uint64_t> publishes_by_user;
  std::uint64_t publishes = 0;
  std::uint64_t reposts = 0;
  std::uint64_t deletes = 0;
  std::uint64_t containers = 0;
  std::uint64_t faults_fired = 0;
};

struct World {
  std::vector<AppRecord> apps;
  std::map<std::string, UserRecord, std::less<>> users; // by id
  std::unordered_map<std::string, TokenRecord> tokens;
  std::unordered_map<std::string, AuthCode> codes;
  std::map<std::string, ContainerRecord, std::less<>> containers;
  std::map<std::string, PostRecord, std::less<>> posts;
  std::map<std::string, UserQuotas, std::less<>> quotas;
  std::set<std::string, std::less<>> used_ids;
  std::uint64_t next_post_seq = 1;
  Config config;
  FaultTable faults;
  Stats stats;

  const AppRecord *find_app(std::string_view id) const;
  UserRecord *find_user(std::string_view id);
  const UserRecord *find_user(std::string_view id) const;
  UserRecord *find_user_by_name(std::string_view username);
  ContainerRecord *find_container(std::string_view id);
  PostRecord *find_post(std::string_view id);
  const PostRecord *find_post(std::string_view id) const;

  // A fresh 17-digit id no other object uses; `prefix` keeps kinds recognisable.
  std::string new_id(std::string_view prefix);
  UserRecord &add_user(const std::string &id, const std::string &username);
  TokenRecord &issue_user_token(std::string_view app_id, std::string_view user_id, TokenKind kind,
                                std::shared_ptr<const std::set<std::string>> scopes,
                                TimePoint issued_at);
  PostRecord &add_post(PostRecord post);

  ContainerStatus container_status(const ContainerRecord &c, TimePoint now) const;
  // The error_message of an ERROR container (a carousel reports its first failed child).
  std::string container_error_message(const ContainerRecord &c) const;
};

} // namespace sandbox
