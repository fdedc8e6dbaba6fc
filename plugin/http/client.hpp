// The HTTP client: pooled HTTPS connections, timeouts, retries and a bulk form over one
// io_context, driven by the calling thread for send() and by a standby thread otherwise.
#pragma once

#include "http/error.hpp"
#include "http/message.hpp"
#include "http/options.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace threads::http {

// The name of a client's standby thread (at most 15 characters, as Linux allows).
inline constexpr const char *standby_thread_name = "threads-http";

// Counters since the client was created, for logs and tests.
struct ClientStats {
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_reused = 0;
  std::uint64_t attempts = 0; // requests written to a connection
  std::uint64_t retries = 0;
};

// Receives the result of requests[index] of a bulk call.
using BulkCallback = std::function<void(std::size_t index, Result<Response> result)>;
// Called on the calling thread when every result so far has been delivered and none has
// arrived for bulk_idle_after (a moment to flush what the results produced).
using BulkIdle = std::function<void()>;
inline constexpr std::chrono::milliseconds bulk_idle_after{25};
// Supplies the requests of a bulk call a batch at a time, on the calling thread: when the
// call starts, and again whenever fewer than bulk_waiting_per_worker * concurrency of the
// requests supplied wait to be sent, so the requests flow without a pause between batches
// (enough wait to keep every connection busy while the source prepares its next batch: the
// refresh sweep reads and claims a chunk of accounts then).
// An empty batch means there are no more; so does an exception (the call then delivers the
// results of what was supplied and returns).
using BulkSource = std::function<std::vector<Request>()>;
inline constexpr std::size_t bulk_waiting_per_worker = 32;

// Thread-safe: send() and send_all() may be called from several threads at once. The network
// work runs in lanes (ClientOptions::max_lanes), each one thread at a time (the "io thread"
// in other comments): a caller of send() takes a free lane and runs it while it waits, so a
// request costs no thread hand-off; callers beyond the lanes share them and take turns; a
// lane's standby thread runs it during send_all() and for idle timers.
// Calling either from inside that work (e.g. from the log sink) is refused with
// ErrorKind::internal. Destroying the client cancels requests still in flight and joins the
// standby thread.
class Client {
public:
  // Fails on invalid options, an unreadable ca_file or an unusable proxy setting.
  static Result<Client> create(ClientOptions options) noexcept;

  Client(Client &&other) noexcept;
  Client &operator=(Client &&other) noexcept;
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;
  ~Client();

  // Sends one request and waits for the final outcome (retries included). An HTTP error
  // status is a Response, not an Error.
  Result<Response> send(Request request) noexcept;

  // Runs every request with at most `concurrency` in flight, and calls `on_result` once per
  // request, on the calling thread, as results arrive (it may block or call send()), and
  // `on_idle` (when set) whenever nothing is left to deliver and no result has come for
  // bulk_idle_after: a steady flow is delivered without pauses, a stalled tail is not.
  // Returns when all have been delivered.
  void send_all(std::vector<Request> requests, std::size_t concurrency,
                const BulkCallback &on_result, const BulkIdle &on_idle = {}) noexcept;
  // The same for the requests `more` supplies (see BulkSource); a result's index is its
  // request's place among all supplied, counting on from one batch to the next.
  void send_all(const BulkSource &more, std::size_t concurrency, const BulkCallback &on_result,
                const BulkIdle &on_idle = {}) noexcept;
  // The same, collecting the results in request order.
  std::vector<Result<Response>> send_all(std::vector<Request> requests,
                                         std::size_t concurrency) noexcept;

  [[nodiscard]] ClientStats stats() const noexcept;

private:
  struct Impl;  // one lane
  struct Lanes; // every lane, and what opening another takes
  explicit Client(std::unique_ptr<Lanes> lanes) noexcept;
  std::unique_ptr<Lanes> lanes_;
};

} // namespace threads::http
