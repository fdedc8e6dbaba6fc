// The endpoint handlers the router dispatches to; each reads its ids from ctx.segments.
#pragma once

#include "context.hpp"

namespace sandbox {

// OAuth and token endpoints (threads-api.md section 1), oauth_endpoints.cpp.
Reply oauth_authorize(Context &ctx);    // GET  /oauth/authorize
Reply oauth_access_token(Context &ctx); // POST /oauth/access_token (code), GET (client_credentials)
Reply exchange_token(Context &ctx);     // GET  /access_token?grant_type=th_exchange_token
Reply refresh_token(Context &ctx);      // GET  /refresh_access_token?grant_type=th_refresh_token
Reply debug_token(Context &ctx);        // GET  /vX.Y/debug_token

// Containers, container_endpoints.cpp.
Reply create_container(Context &ctx); // POST /{user}/threads
Reply read_container(Context &ctx);   // GET  /{container-id}

// Publishing and quotas, publish_endpoints.cpp.
Reply publish_container(Context &ctx); // POST /{user}/threads_publish?creation_id=
Reply publishing_limit(Context &ctx);  // GET  /{user}/threads_publishing_limit

// Changing published media, media_endpoints.cpp.
Reply delete_media(Context &ctx); // DELETE /{media-id}
Reply repost_media(Context &ctx); // POST   /{media-id}/repost
Reply manage_reply(Context &ctx); // POST   /{reply-id}/manage_reply

// Reading, read_endpoints.cpp.
Reply read_profile(Context &ctx);      // GET /me, /{user-id}
Reply read_media(Context &ctx);        // GET /{media-id}
Reply list_threads(Context &ctx);      // GET /{user}/threads
Reply list_user_replies(Context &ctx); // GET /{user}/replies
Reply list_mentions(Context &ctx);     // GET /{user}/mentions
Reply list_replies(Context &ctx);      // GET /{media-id}/replies
Reply list_conversation(Context &ctx); // GET /{media-id}/conversation
Reply keyword_search(Context &ctx);    // GET /keyword_search

// Insights, insights_endpoints.cpp.
Reply media_insights(Context &ctx); // GET /{media-id}/insights
Reply user_insights(Context &ctx);  // GET /{user}/threads_insights

} // namespace sandbox
