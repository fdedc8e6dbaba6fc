// Configuration of the HTTP client: timeouts, limits, retries, proxy, TLS trust, logging.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace threads::http {

enum class LogLevel { debug, info, warn, error };

// Receives the layer's log events: a one-line message and a JSON object text with fields
// (method, redacted url, status, attempt, ...). Called on the client's io thread, so it must
// not block for long; it never sees secrets (URLs are redacted, headers are not logged).
using LogSink =
    std::function<void(LogLevel level, std::string_view message, std::string_view fields_json)>;

// Receives each HTTP answer the client reads, for counting (see ClientOptions::on_answer).
using AnswerSink = std::function<void(int status, std::string_view body)>;

// Retries apply to idempotent requests only. Retried: connect failures, resets, truncated
// responses, connect/read timeouts, and the statuses 429, 500, 502, 503 and 504.
struct RetryPolicy {
  // Attempts in total, the first included; 1 disables retries.
  int max_attempts = 3;
  // Full jitter: the n-th retry waits uniform(0, min(max_delay, base_delay * 2^(n-1))).
  std::chrono::milliseconds base_delay{250};
  std::chrono::milliseconds max_delay{10'000};
  // A Retry-After header (seconds or HTTP-date) replaces the computed delay. When it asks for
  // more than max_retry_after, or points past the request's deadline, the response is
  // returned at once instead of waiting: a long wait belongs to the caller (a scheduler
  // can retry later without holding a thread or the call's deadline).
  std::chrono::milliseconds max_retry_after{5'000};
};

// An explicit proxy. `url` is "http://[user:password@]host[:port]" (port 1080 when absent,
// as curl does); an empty url means direct connections. `no_proxy` uses curl's syntax.
struct ProxyConfig {
  std::string url;
  std::string no_proxy;
};

// Plain http:// URLs are refused unless a test server needs them.
enum class PlainHttp { refuse, allow };

// A kept connection idle for less than this is reused by an idempotent request without
// the system call that probes it for a close by the server (servers keep connections for
// seconds at least); one that died sooner costs that request a free, immediate retry on a
// fresh connection. Any other request is always probed first, so it is never written into
// a dead connection (it could not be retried safely).
inline constexpr std::chrono::milliseconds probe_idle_after{1000};

struct ClientOptions {
  // PEM file of trusted CAs that replaces the system store; empty uses the system store
  // (OpenSSL's default paths, which honour SSL_CERT_FILE / SSL_CERT_DIR). Peer and
  // host-name verification are always on; there is no option to turn them off.
  std::string ca_file;

  // DNS, TCP connect, proxy CONNECT and TLS handshake of one new connection.
  std::chrono::milliseconds connect_timeout{10'000};
  // Writing one request and reading its complete response ("read timeout").
  std::chrono::milliseconds request_timeout{30'000};
  // A whole call including retries and waits for a free connection ("total timeout").
  std::chrono::milliseconds total_timeout{90'000};

  // A larger body ends the call with ErrorKind::response_too_large.
  std::size_t max_response_bytes = std::size_t{8} << 20U;

  // Independent lanes, each with its own io_context, connections and standby thread: a
  // caller of send() takes a lane nobody else is in (opening one while fewer exist), so
  // callers on several threads each run their own network work instead of taking turns on
  // one. Beyond it, callers share lanes. Lanes are opened on demand and kept.
  std::size_t max_lanes = 16;
  // Open connections per host (idle and busy) of one lane; further requests of that lane
  // wait for one to free up.
  std::size_t max_connections_per_host = 64;
  // Idle keep-alive connections kept per host, and how long one may stay idle. Keep the
  // timeout below the server's so a reused connection is rarely found closed.
  std::size_t max_idle_per_host = 32;
  std::chrono::milliseconds idle_timeout{30'000};

  RetryPolicy retry;

  // nullopt: taken from the environment when the client is created (https_proxy or
  // HTTPS_PROXY, no_proxy or NO_PROXY; the lower-case names win, as in curl). The proxy is
  // used for https URLs only, through a CONNECT tunnel.
  std::optional<ProxyConfig> proxy;

  std::string user_agent = "autohost-threads/0.1";
  PlainHttp plain_http = PlainHttp::refuse;
  std::chrono::milliseconds cancel_poll_interval{100};

  // Optional; without it the layer is silent.
  LogSink log;
  // Optional: sees every answer (status and body), each attempt's, including answers that
  // are then retried. Called on the io thread: it must be quick and must not call the client.
  AnswerSink on_answer;
  // The lowest level `log` wants (the host's, ABI 1.2): lines below it are never built.
  LogLevel log_level = LogLevel::debug;
};

} // namespace threads::http
