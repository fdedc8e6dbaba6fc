// The client: request validation, the retry loop, cancellation, the bulk form, who drives a
// lane's io_context (the calling thread for a single request, a standby thread for the bulk
// form and for idle timers), and which lane a caller takes.
#include "http/client.hpp"

#include "http/ascii.hpp"
#include "http/connection.hpp"
#include "http/connection_pool.hpp"
#include "http/log.hpp"
#include "http/proxy.hpp"
#include "http/redact.hpp"
#include "http/retry_policy.hpp"
#include "http/tls_context.hpp"
#include "http/url.hpp"
#include "http/watchdog.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <pthread.h>

namespace threads::http {

namespace net = boost::asio;
using std::chrono::milliseconds;

namespace {

Error invalid_argument(std::string message) {
  return Error{ErrorKind::invalid_argument, std::move(message), Delivery::not_sent, 0};
}

bool is_token_char(char c) {
  static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         specials.find(c) != std::string_view::npos;
}

// CR or LF in a header would let a caller's value inject headers or a second request.
bool has_control_chars(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::optional<Error> validate_headers(const Request &request) {
  // Framing and connection management are the client's business.
  static constexpr std::array managed{
      std::string_view("host"),       std::string_view("content-length"),
      std::string_view("connection"), std::string_view("transfer-encoding"),
      std::string_view("keep-alive"), std::string_view("upgrade"),
      std::string_view("te")};
  for (const auto &field : request.headers) {
    const std::string &name = field.first;
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
      return invalid_argument("header name '" + name + "' is not a valid HTTP token");
    }
    if (std::any_of(managed.begin(), managed.end(),
                    [&](std::string_view m) { return ascii::iequals(m, name); })) {
      return invalid_argument("header '" + name + "' is set by the HTTP client, not the caller");
    }
    if (has_control_chars(field.second)) {
      return invalid_argument("header '" + name + "' contains CR, LF or NUL");
    }
  }
  if (has_control_chars(request.content_type)) {
    return invalid_argument("content_type contains CR, LF or NUL");
  }
  return std::nullopt;
}

std::optional<Error> validate_options(const ClientOptions &o) {
  if (o.connect_timeout <= milliseconds{0} || o.request_timeout <= milliseconds{0} ||
      o.total_timeout <= milliseconds{0}) {
    return invalid_argument("connect_timeout, request_timeout and total_timeout must be positive");
  }
  if (o.idle_timeout <= milliseconds{0} || o.cancel_poll_interval <= milliseconds{0}) {
    return invalid_argument("idle_timeout and cancel_poll_interval must be positive");
  }
  if (o.max_response_bytes == 0 || o.max_connections_per_host == 0) {
    return invalid_argument("max_response_bytes and max_connections_per_host must be positive");
  }
  if (o.retry.max_attempts < 1 || o.retry.base_delay < milliseconds{0} ||
      o.retry.max_delay < milliseconds{0} || o.retry.max_retry_after < milliseconds{0}) {
    return invalid_argument("retry.max_attempts must be at least 1 and delays not negative");
  }
  if (has_control_chars(o.user_agent)) {
    return invalid_argument("user_agent contains CR, LF or NUL");
  }
  return std::nullopt;
}

std::int64_t elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

// Results of a bulk call travel from the io thread to the caller's thread through here.
struct Bulk {
  std::mutex mutex;            // guards every member below
  std::deque<Request> waiting; // supplied and not yet taken by a worker
  std::size_t taken = 0;       // requests taken so far: the index of the next one
  std::size_t workers = 0;     // workers running
  std::condition_variable ready_signal;
  std::deque<std::pair<std::size_t, Result<Response>>> ready;
};

// The outcome of one send(), handed from whichever thread ran the request to its caller.
// Shared by the caller and the request's handler: the handler's reference keeps it alive
// through the wake-up, so the caller may return the moment it sees `done`.
struct Completion {
  std::optional<Result<Response>> result;
  std::atomic<bool> done{false};
  // The caller sleeps on `wake` while another thread drives; a result or a hand-over
  // (`turn`) wakes this caller alone. Its own mutex, not drive_mutex: a caller woken by its
  // result leaves without touching the lock every other caller needs.
  std::mutex mutex;
  std::condition_variable wake;
  bool turn = false; // guarded by `mutex`
};

// What one request needs across its attempts, worked out once before the first.
struct Plan {
  Method method = Method::get;
  // The request's URL (it outlives the plan), unredacted: shown only as shown_url() and
  // what(), which are built when a log line or a message needs them.
  std::string_view url;
  [[nodiscard]] std::string shown_url() const { return redact_url(url); }
  [[nodiscard]] std::string what() const { return describe_request(method, url); }
  Target target;
  std::string wire; // the request as sent (request_text)
  bool idempotent = false;
  bool head = false;
  Clock::time_point started;
  Clock::time_point deadline; // the earlier of the request's and total_timeout's
  const ProxyEndpoint *via = nullptr;
  std::string pool_key;
};

// Where the retry loop stands between attempts.
struct RetryState {
  // maybe_sent once an attempt may have reached the server without an answer coming back;
  // an answer (even a 429 or 503) says the server saw the request and what it did.
  Delivery delivery = Delivery::not_sent;
  int budget = 1; // attempts allowed
  bool stale_retry_used = false;
};

} // namespace

struct Client::Impl {
  Impl(ClientOptions opts, std::shared_ptr<net::ssl::context> tls_context,
       std::optional<ProxyEndpoint> proxy_endpoint, NoProxyList bypass)
      : options(std::move(opts)), logger(options.log, options.log_level),
        tls(std::move(tls_context)), proxy(std::move(proxy_endpoint)), no_proxy(std::move(bypass)),
        pool(io.get_executor(), PoolLimits{options.max_connections_per_host,
                                           options.max_idle_per_host, options.idle_timeout}),
        work(io.get_executor()), random(std::random_device{}()),
        watchdog(io.get_executor(), options.cancel_poll_interval) {
    start_name_resolution(io.get_executor());
    thread = std::thread([this] { standby(); });
  }

  Impl(const Impl &) = delete;
  Impl &operator=(const Impl &) = delete;

  ~Impl() {
    // Posted before `stopping` is set: the standby thread may leave its loop and run the
    // io_context to completion as soon as it sees `stopping`, and this must be in it.
    try {
      net::post(io, [this] {
        shutting_down = true;
        watchdog.shut_down();
        pool.close_all();
      });
    } catch (...) { // NOLINT(bugprone-empty-catch): requests then end at their deadlines
    }
    {
      const std::lock_guard lock(drive_mutex);
      stopping = true;
    }
    standby_cv.notify_all();
    try {
      thread.join();
    } catch (...) { // NOLINT(bugprone-empty-catch): join fails only if the thread is gone
    }
  }

  // Driving: exactly one thread at a time runs the io_context's handlers (`driving`, handed
  // over under drive_mutex), so the state below stays single-threaded. A caller of send()
  // drives while it waits for its own result, which saves two thread hand-offs per request;
  // other callers wait, and one of them takes over when the driver's request is done. The
  // standby thread drives while a bulk call is active (its caller is busy delivering
  // results) and, when nobody else does, when the pool's idle-connection sweep comes due;
  // with no idle connection it sleeps until a call leaves one, so an idle client never wakes.
  void enter() { callers.fetch_add(1); }
  // Enters only a lane nobody is in.
  bool try_enter() {
    int none = 0;
    return callers.compare_exchange_strong(none, 1);
  }
  void leave() {
    if (callers.fetch_sub(1) == 1) {
      const std::lock_guard lock(drive_mutex);
      if (stopping) {
        standby_cv.notify_all();
      }
    }
  }
  void bulk_started() {
    const std::lock_guard lock(drive_mutex);
    ++bulk_active;
    standby_cv.notify_all();
  }
  void bulk_finished() {
    const std::lock_guard lock(drive_mutex);
    --bulk_active;
  }
  static void complete(Completion &completion, Result<Response> result) {
    completion.result = std::move(result);
    {
      const std::lock_guard lock(completion.mutex);
      completion.done.store(true, std::memory_order_release);
    }
    completion.wake.notify_one();
  }
  // Called with drive_mutex held when nobody drives: wakes the longest-waiting caller whose
  // result has not come to take over (only one, so waiting callers do not all contend for
  // the mutex). Callers whose result came are dropped from `parked` on the way.
  void hand_over() {
    while (!driving && !parked.empty()) {
      const std::shared_ptr<Completion> next = std::move(parked.front());
      parked.pop_front();
      if (next->done.load(std::memory_order_acquire)) {
        continue;
      }
      {
        const std::lock_guard lock(next->mutex);
        next->turn = true;
      }
      next->wake.notify_one();
      return;
    }
  }
  // noexcept: the request's handler completes the caller's Completion, so leaving early by
  // an exception would lose the result (only a failing mutex could throw here).
  void drive_until(const std::shared_ptr<Completion> &completion) noexcept;
  void standby() noexcept;
  void run_handlers(bool block) noexcept;
  // The standby thread's sleep while it has nothing to drive; true when the pool's sweep
  // came due (run what is due), false when woken. Called with drive_mutex held.
  bool standby_wait(std::unique_lock<std::mutex> &lock);

  // Never fails by exception once started: everything becomes an Error.
  Awaitable<Result<Response>> run(Request request);
  Awaitable<Result<Response>> run_checked(Request request);
  Result<Plan> plan(const Request &request);
  // Why the loop must stop before the next attempt (cancelled, deadline passed), if it must.
  std::optional<Error> stop_before(const Plan &plan, RequestControl &control,
                                   const std::function<bool()> &cancelled, const RetryState &state,
                                   int attempt) const;
  // How long to wait before retrying after an answer or a failure; nullopt: do not retry.
  std::optional<milliseconds> retry_wait(const Plan &plan, const Response &response, int attempt,
                                         const RetryState &state);
  std::optional<milliseconds> retry_wait(const Plan &plan, const Failure &failure, int attempt,
                                         const RequestControl &control, RetryState &state);
  Response answered(const Plan &plan, Response response, int attempt) const;
  Error failed(const Plan &plan, Failure failure, int attempt, const RetryState &state) const;
  void log_retry(const Plan &plan, int attempt, std::string_view reason, milliseconds delay);
  Awaitable<Outcome<Response>> attempt(const Plan &plan, RequestControl &control);
  Awaitable<bool> pause(milliseconds delay, RequestControl &control);
  Awaitable<void> bulk_worker(std::shared_ptr<Bulk> bulk);
  double unit_random() { return std::uniform_real_distribution<double>(0.0, 1.0)(random); }

  ClientOptions options;
  Logger logger;
  net::io_context io{1};
  std::shared_ptr<net::ssl::context> tls; // one for every lane
  std::optional<ProxyEndpoint> proxy;
  NoProxyList no_proxy;
  ConnectionPool pool;
  net::executor_work_guard<net::io_context::executor_type> work;
  // The members below up to the counters are touched only on the io thread.
  std::mt19937_64 random;
  TargetParser targets{options.plain_http};
  Watchdog watchdog;
  bool shutting_down = false;
  std::uint64_t next_connection_id = 1;
  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> connections_reused{0};
  std::atomic<std::uint64_t> attempts{0};
  std::atomic<std::uint64_t> retries{0};
  // Who drives the io_context (see drive_until and standby).
  std::mutex drive_mutex;
  // Callers waiting for their result or their turn; those whose result came are dropped
  // lazily (see drive_until), so a caller woken by its result need not take drive_mutex.
  std::deque<std::shared_ptr<Completion>> parked;
  std::condition_variable standby_cv; // the standby thread waiting for work
  bool driving = false;
  bool stopping = false;
  std::atomic<int> callers{0}; // threads inside send() or send_all()
  int bulk_active = 0;         // send_all() calls whose requests are still running
  // The standby thread sleeps without a deadline (nothing in the pool needs a timer), so a
  // driver that leaves idle connections behind must wake it to wait for their expiry.
  bool standby_unbounded = false;
  std::thread thread; // last: it starts once everything it uses exists
};

Awaitable<Result<Response>> Client::Impl::run(Request request) {
  try {
    co_return co_await run_checked(std::move(request));
  } catch (const std::exception &e) {
    // Whether bytes left is unknown here, so the caller must assume they did.
    co_return Error{ErrorKind::internal,
                    std::string("internal error in the HTTP client: ") + e.what(),
                    Delivery::maybe_sent, 0};
  } catch (...) {
    co_return Error{ErrorKind::internal, "internal error in the HTTP client", Delivery::maybe_sent,
                    0};
  }
}

Result<Plan> Client::Impl::plan(const Request &request) {
  Plan p;
  p.started = Clock::now();
  p.method = request.method;
  p.url = request.url;
  auto target = targets.parse(request.url);
  if (!target) {
    return target.error();
  }
  if (auto bad = validate_headers(request)) {
    return *bad;
  }
  p.target = std::move(*target);
  p.wire = request_text(request, p.target.path, p.target.host_header, options.user_agent);
  p.idempotent = is_idempotent(request);
  p.head = request.method == Method::head;
  p.deadline = p.started + options.total_timeout;
  if (request.deadline && *request.deadline < p.deadline) {
    p.deadline = *request.deadline;
  }
  const Target &t = p.target;
  if (proxy && t.tls && !no_proxy.matches(t.host, t.port)) {
    p.via = &*proxy;
  }
  p.pool_key = std::string(t.tls ? "https://" : "http://") +
               host_and_port(t.host, t.host.find(':') != std::string::npos, t.port);
  if (p.via != nullptr) {
    p.pool_key += " via " + p.via->display;
  }
  return p;
}

std::optional<Error> Client::Impl::stop_before(const Plan &plan, RequestControl &control,
                                               const std::function<bool()> &cancelled,
                                               const RetryState &state, int attempt) const {
  if (!control.cancelled && cancelled) {
    try {
      control.cancelled = cancelled();
    } catch (...) { // NOLINT(bugprone-empty-catch): a throwing check counts as "not cancelled"
    }
  }
  if (control.cancelled) {
    return Error{ErrorKind::cancelled, "cancelled before sending " + plan.what(), state.delivery,
                 attempt - 1};
  }
  if (Clock::now() >= plan.deadline) {
    return Error{ErrorKind::timeout,
                 "total timeout: the deadline passed before sending " + plan.what(), state.delivery,
                 attempt - 1};
  }
  return std::nullopt;
}

void Client::Impl::log_retry(const Plan &plan, int attempt, std::string_view reason,
                             milliseconds delay) {
  retries.fetch_add(1, std::memory_order_relaxed);
  logger.write(LogLevel::info, "http: retrying " + plan.what() + " after " + std::string(reason),
               {{"method", to_string(plan.method)},
                {"url", plan.shown_url()},
                {"reason", reason},
                {"attempt", std::int64_t{attempt}},
                {"delay_ms", static_cast<std::int64_t>(delay.count())}});
}

std::optional<milliseconds> Client::Impl::retry_wait(const Plan &plan, const Response &response,
                                                     int attempt, const RetryState &state) {
  if (attempt >= state.budget || !is_retryable_status(response.status)) {
    return std::nullopt;
  }
  std::optional<milliseconds> hint;
  if (auto header = response.headers.find("Retry-After")) {
    hint = parse_retry_after(*header, std::chrono::system_clock::now());
  }
  const milliseconds delay = hint ? *hint : backoff_delay(options.retry, attempt, unit_random());
  std::string_view why_not;
  if (hint && *hint > options.retry.max_retry_after) {
    why_not = "Retry-After is longer than the client waits";
  } else if (Clock::now() + delay >= plan.deadline) {
    why_not =
        hint ? "Retry-After reaches past the deadline" : "the backoff reaches past the deadline";
  }
  if (!why_not.empty()) {
    // The answer goes back to the caller, who can schedule the retry itself.
    logger.write(LogLevel::info, "http: not retrying " + plan.what() + ": " + std::string(why_not),
                 {{"method", to_string(plan.method)},
                  {"url", plan.shown_url()},
                  {"status", std::int64_t{response.status}},
                  {"delay_ms", static_cast<std::int64_t>(delay.count())}});
    return std::nullopt;
  }
  log_retry(plan, attempt, "status " + std::to_string(response.status), delay);
  return delay;
}

std::optional<milliseconds> Client::Impl::retry_wait(const Plan &plan, const Failure &failure,
                                                     int attempt, const RequestControl &control,
                                                     RetryState &state) {
  if (failure.error.delivery == Delivery::maybe_sent) {
    state.delivery = Delivery::maybe_sent;
  }
  if (control.cancelled || !plan.idempotent) {
    return std::nullopt;
  }
  if (failure.stale_connection && !state.stale_retry_used) {
    // One free, immediate retry on a fresh connection: the idle one had died.
    state.stale_retry_used = true;
    ++state.budget;
    log_retry(plan, attempt, "a reused connection failed", milliseconds{0});
    return milliseconds{0};
  }
  if (!failure.retryable || attempt >= state.budget) {
    return std::nullopt;
  }
  const milliseconds delay = backoff_delay(options.retry, attempt, unit_random());
  if (Clock::now() + delay >= plan.deadline) {
    return std::nullopt;
  }
  log_retry(plan, attempt, to_string(failure.error.kind), delay);
  return delay;
}

Response Client::Impl::answered(const Plan &plan, Response response, int attempt) const {
  response.attempts = attempt;
  if (logger.enabled(LogLevel::debug)) {
    logger.write(LogLevel::debug, "http: " + plan.what() + " -> " + std::to_string(response.status),
                 {{"method", to_string(plan.method)},
                  {"url", plan.shown_url()},
                  {"status", std::int64_t{response.status}},
                  {"attempts", std::int64_t{attempt}},
                  {"elapsed_ms", elapsed_ms(plan.started)}});
  }
  return response;
}

Error Client::Impl::failed(const Plan &plan, Failure failure, int attempt,
                           const RetryState &state) const {
  Error error = std::move(failure.error);
  error.delivery = state.delivery;
  error.attempts = attempt;
  if (logger.enabled(LogLevel::debug)) {
    logger.write(LogLevel::debug, "http: " + plan.what() + " failed: " + error.message,
                 {{"method", to_string(plan.method)},
                  {"url", plan.shown_url()},
                  {"error", to_string(error.kind)},
                  {"attempts", std::int64_t{attempt}},
                  {"elapsed_ms", elapsed_ms(plan.started)}});
  }
  return error;
}

Awaitable<Result<Response>> Client::Impl::run_checked(Request request) {
  if (shutting_down) {
    co_return Error{ErrorKind::cancelled,
                    "the HTTP client is shutting down: " +
                        describe_request(request.method, request.url),
                    Delivery::not_sent, 0};
  }
  Result<Plan> planned = plan(request);
  if (!planned) {
    co_return planned.error();
  }
  const Plan &p = *planned;
  RequestControl control;
  const Watchdog::Registration watched(watchdog, control, request.cancelled);

  RetryState state;
  state.budget = p.idempotent ? options.retry.max_attempts : 1;
  for (int attempt = 1;; ++attempt) {
    if (auto stop = stop_before(p, control, request.cancelled, state, attempt)) {
      co_return *stop;
    }
    Outcome<Response> outcome = co_await this->attempt(p, control);
    std::optional<milliseconds> wait;
    if (outcome.has_value()) {
      if (options.on_answer)
        options.on_answer(outcome->status, outcome->body);
      wait = retry_wait(p, *outcome, attempt, state);
      if (!wait) {
        co_return answered(p, std::move(*outcome), attempt);
      }
    } else {
      wait = retry_wait(p, outcome.error(), attempt, control, state);
      if (!wait) {
        co_return failed(p, outcome.error(), attempt, state);
      }
    }
    if (wait->count() > 0 && !co_await pause(*wait, control)) {
      co_return Error{ErrorKind::cancelled, "cancelled while waiting to retry " + p.what(),
                      state.delivery, attempt};
    }
  }
}

Awaitable<Outcome<Response>> Client::Impl::attempt(const Plan &plan, RequestControl &control) {
  Outcome<ConnectionPool::Lease> leased =
      co_await pool.acquire(plan.pool_key, plan.deadline, control, plan.idempotent);
  if (!leased.has_value()) {
    co_return leased.error();
  }
  ConnectionPool::Lease lease = std::move(*leased);
  if (lease.connection() == nullptr) {
    const std::uint64_t id = next_connection_id++;
    const ConnectSpec spec{plan.target, plan.via, options.user_agent, options.connect_timeout,
                           plan.deadline};
    Outcome<std::unique_ptr<Connection>> opened = co_await open_connection(*tls, spec, control, id);
    if (!opened.has_value()) {
      co_return opened.error();
    }
    connections_opened.fetch_add(1, std::memory_order_relaxed);
    if (logger.enabled(LogLevel::debug)) {
      logger.write(LogLevel::debug, "http: connected to " + plan.pool_key,
                   {{"connection", static_cast<std::int64_t>(id)}});
    }
    lease.attach(std::move(*opened));
  } else {
    connections_reused.fetch_add(1, std::memory_order_relaxed);
  }
  attempts.fetch_add(1, std::memory_order_relaxed);
  const ExchangeSpec spec{
      plan.method,   plan.url,      options.max_response_bytes, plan.head, options.request_timeout,
      plan.deadline, lease.reused()};
  Outcome<Exchanged> exchanged = co_await exchange(*lease.connection(), plan.wire, spec, control);
  if (!exchanged.has_value()) {
    co_return exchanged.error(); // the lease closes the connection
  }
  if (exchanged->keep_alive) {
    lease.keep_alive();
  }
  co_return std::move(exchanged->response);
}

Awaitable<bool> Client::Impl::pause(milliseconds delay, RequestControl &control) {
  SteadyTimer timer(io.get_executor(), delay);
  boost::system::error_code ec;
  {
    AbortHook hook(control, [&timer] { timer.cancel(); });
    co_await timer.async_wait(net::redirect_error(use_awaitable, ec));
  }
  co_return !control.cancelled;
}

void Client::Impl::run_handlers(bool block) noexcept {
  try {
    if (block) {
      io.run_one();
    } else {
      io.poll();
    }
  } catch (const std::exception &e) {
    // Every coroutine catches its own; reaching here is a bug, but the driver must live.
    logger.write(LogLevel::error, "http: unexpected exception in an io handler",
                 {{"error", std::string_view(e.what())}});
  } catch (...) {
    logger.write(LogLevel::error, "http: unexpected exception in an io handler", {});
  }
}

void Client::Impl::drive_until(const std::shared_ptr<Completion> &completion) noexcept {
  std::unique_lock lock(drive_mutex);
  while (!completion->done.load(std::memory_order_acquire)) {
    if (driving) {
      // Entries whose callers have had their results go first, so `parked` stays as long
      // as the number of callers waiting.
      std::erase_if(parked, [](const std::shared_ptr<Completion> &waiting) {
        return waiting->done.load(std::memory_order_acquire);
      });
      parked.push_back(completion);
      lock.unlock();
      bool turn = false;
      {
        std::unique_lock own(completion->mutex);
        completion->wake.wait(own, [&] {
          return completion->turn || completion->done.load(std::memory_order_acquire);
        });
        turn = std::exchange(completion->turn, false);
      }
      if (!turn) {
        return; // the result came; the next caller to park or a hand-over drops this entry
      }
      lock.lock(); // handed the io_context: drive, or pass it on if the result came too
      continue;
    }
    driving = true;
    lock.unlock();
    // Only this thread runs handlers now, so only a handler run here can finish the request.
    while (!completion->done.load(std::memory_order_acquire)) {
      run_handlers(true);
    }
    lock.lock();
    driving = false;
    hand_over();
    if (bulk_active > 0 || stopping || standby_unbounded) {
      standby_cv.notify_all();
    }
  }
  // A hand-over may have woken this caller just as its result came: pass it on.
  hand_over();
}

bool Client::Impl::standby_wait(std::unique_lock<std::mutex> &lock) {
  // The pool is read only while nobody drives: its state belongs to the driving thread.
  const std::optional<Clock::time_point> due = driving ? std::nullopt : pool.sweep_due();
  if (!due) {
    standby_unbounded = true;
    standby_cv.wait(lock);
    standby_unbounded = false;
    return false;
  }
  return standby_cv.wait_until(lock, *due) == std::cv_status::timeout;
}

void Client::Impl::standby() noexcept {
  // Named for `top -H` and /proc/PID/task/*/comm (the tests find it by this name).
  pthread_setname_np(pthread_self(), standby_thread_name);
  std::unique_lock lock(drive_mutex);
  bool tick = false;
  while (!(stopping && callers == 0 && !driving)) {
    if (driving || (bulk_active == 0 && !tick)) {
      tick = standby_wait(lock);
      continue;
    }
    driving = true;
    const bool bulk = bulk_active > 0;
    tick = false;
    lock.unlock();
    run_handlers(bulk); // a bulk call needs the io driven; a tick only runs what is due
    lock.lock();
    driving = false;
    hand_over();
  }
  lock.unlock();
  // Nobody else calls in any more: run the shutdown and whatever it leaves to finish.
  work.reset();
  while (!io.stopped()) {
    try {
      io.run();
    } catch (...) { // NOLINT(bugprone-empty-catch): logged nowhere: the client is going away
    }
  }
}

Awaitable<void> Client::Impl::bulk_worker(std::shared_ptr<Bulk> bulk) {
  for (;;) {
    std::optional<Request> request;
    std::size_t index = 0;
    {
      const std::lock_guard lock(bulk->mutex);
      if (bulk->waiting.empty()) {
        --bulk->workers;
        co_return;
      }
      request.emplace(std::move(bulk->waiting.front()));
      bulk->waiting.pop_front();
      index = bulk->taken++;
    }
    // Every request taken must produce a result, or the caller waits for ever.
    Result<Response> result =
        Error{ErrorKind::internal, "out of memory starting the request", Delivery::not_sent, 0};
    try {
      result = co_await run(std::move(*request));
    } catch (...) { // NOLINT(bugprone-empty-catch): `result` already says what happened
    }
    {
      const std::lock_guard lock(bulk->mutex);
      bulk->ready.emplace_back(index, std::move(result));
    }
    bulk->ready_signal.notify_one();
  }
}

// The lanes of a client: opened on demand up to options.max_lanes, never closed before the
// client. A lane is published (count) only once made, so callers read the array unlocked.
struct Client::Lanes {
  Lanes(ClientOptions opts, std::shared_ptr<net::ssl::context> tls_context,
        std::optional<ProxyEndpoint> proxy_endpoint, NoProxyList bypass)
      : options(std::move(opts)), tls(std::move(tls_context)), proxy(std::move(proxy_endpoint)),
        no_proxy(std::move(bypass)), all(std::max<std::size_t>(options.max_lanes, 1)) {
    all[0] = open();
    count.store(1, std::memory_order_release);
  }

  std::unique_ptr<Impl> open() const {
    return std::make_unique<Impl>(options, tls, proxy, no_proxy);
  }
  std::size_t size() const noexcept { return count.load(std::memory_order_acquire); }
  Impl &at(std::size_t i) const noexcept { return *all[i]; }

  // Whether the calling thread is running one of the lanes' handlers.
  bool on_an_io_thread() const noexcept {
    for (std::size_t i = 0, n = size(); i < n; ++i) {
      if (at(i).io.get_executor().running_in_this_thread())
        return true;
    }
    return false;
  }

  // A lane the caller has entered: a free one, else a new one, else one shared with others
  // (chosen by thread, so that callers spread over the lanes).
  Impl &take() {
    for (std::size_t i = 0, n = size(); i < n; ++i) {
      if (at(i).try_enter())
        return at(i);
    }
    {
      const std::lock_guard lock(grow);
      const std::size_t n = size();
      if (n < all.size() && Clock::now() >= next_open) {
        if (Impl *lane = open_next(n)) {
          lane->enter();
          return *lane;
        }
      }
    }
    Impl &shared = at(std::hash<std::thread::id>{}(std::this_thread::get_id()) % size());
    shared.enter();
    return shared;
  }

  // Opens lane `n` (under `grow`), or none when its thread (or memory) cannot be had, e.g.
  // under a task limit such as systemd's TasksMax: callers then share the open lanes rather
  // than fail their calls. Said once in the log, and tried again a second later at most, not
  // at every call.
  Impl *open_next(std::size_t n) noexcept {
    try {
      all[n] = open();
      count.store(n + 1, std::memory_order_release);
      if (std::exchange(refused, false)) {
        logger.write(LogLevel::info, "HTTP: another lane could be opened again",
                     {{"lanes", static_cast<std::int64_t>(n + 1)}});
      }
      return all[n].get();
    } catch (const std::exception &e) {
      refused_open(n, e.what());
    } catch (...) {
      refused_open(n, "unknown error");
    }
    return nullptr;
  }
  void refused_open(std::size_t n, std::string_view why) noexcept {
    next_open = Clock::now() + std::chrono::seconds(1);
    if (!std::exchange(refused, true)) {
      logger.write(LogLevel::warn,
                   "HTTP: cannot open another lane (no thread can be started; a task limit?); "
                   "calls share the open ones",
                   {{"lanes", static_cast<std::int64_t>(n)}, {"reason", why}});
    }
  }

  const ClientOptions options;
  const std::shared_ptr<net::ssl::context> tls;
  const std::optional<ProxyEndpoint> proxy;
  const NoProxyList no_proxy;
  std::vector<std::unique_ptr<Impl>> all; // sized once; entries below `count` are set
  std::atomic<std::size_t> count{0};
  std::mutex grow;
  // Under `grow`: when a refused lane may be tried again, and whether the last try failed.
  Clock::time_point next_open{};
  bool refused = false;
  Logger logger{options.log, options.log_level};
};

Result<Client> Client::create(ClientOptions options) noexcept {
  try {
    if (auto bad = validate_options(options)) {
      return *bad;
    }
    auto tls = make_tls_context(options.ca_file);
    if (!tls.has_value()) {
      return tls.error();
    }
    const bool from_environment = !options.proxy.has_value();
    const ProxyConfig proxy_config =
        from_environment ? proxy_config_from_environment() : *options.proxy;
    auto proxy = parse_proxy_url(proxy_config.url);
    if (!proxy.has_value()) {
      Error error = proxy.error();
      if (from_environment) {
        error.message = "https_proxy/HTTPS_PROXY: " + error.message;
      }
      return error;
    }
    auto lanes = std::make_unique<Lanes>(std::move(options),
                                         std::make_shared<net::ssl::context>(std::move(*tls)),
                                         std::move(*proxy), NoProxyList(proxy_config.no_proxy));
    return Client(std::move(lanes));
  } catch (const std::exception &e) {
    return Error{ErrorKind::internal, std::string("cannot create the HTTP client: ") + e.what(),
                 Delivery::not_sent, 0};
  }
}

Client::Client(std::unique_ptr<Lanes> lanes) noexcept : lanes_(std::move(lanes)) {}
Client::Client(Client &&other) noexcept = default;
Client &Client::operator=(Client &&other) noexcept = default;
Client::~Client() = default;

namespace {

Error refused_on_io_thread() {
  return Error{ErrorKind::internal,
               "the HTTP client was called from its own io thread (a log sink or cancellation "
               "check); that would deadlock",
               Delivery::not_sent, 0};
}

} // namespace

Result<Response> Client::send(Request request) noexcept {
  try {
    if (!lanes_) {
      return Error{ErrorKind::internal, "send() on a moved-from HTTP client", Delivery::not_sent,
                   0};
    }
    if (lanes_->on_an_io_thread()) {
      return refused_on_io_thread();
    }
    auto completion = std::make_shared<Completion>();
    Impl &impl = lanes_->take();
    struct Leave {
      Impl &impl;
      ~Leave() { impl.leave(); }
    } leave{impl};
    net::co_spawn(impl.io, impl.run(std::move(request)),
                  [completion](const std::exception_ptr &e, Result<Response> result) {
                    Impl::complete(*completion,
                                   e ? Error{ErrorKind::internal, "request coroutine failed",
                                             Delivery::maybe_sent, 0}
                                     : std::move(result));
                  });
    impl.drive_until(completion);
    return std::move(*completion->result);
  } catch (const std::exception &e) {
    return Error{ErrorKind::internal, std::string("HTTP client failure: ") + e.what(),
                 Delivery::maybe_sent, 0};
  }
}

void Client::send_all(std::vector<Request> requests, std::size_t concurrency,
                      const BulkCallback &on_result, const BulkIdle &on_idle) noexcept {
  bool supplied = false;
  send_all(
      [&] {
        std::vector<Request> batch;
        if (!std::exchange(supplied, true))
          batch.swap(requests);
        return batch;
      },
      concurrency, on_result, on_idle);
}

void Client::send_all(const BulkSource &more, std::size_t concurrency,
                      const BulkCallback &on_result, const BulkIdle &on_idle) noexcept {
  std::size_t supplied = 0;
  std::size_t delivered = 0;
  bool exhausted = false;
  auto next_batch = [&] {
    std::vector<Request> batch;
    if (!exhausted) {
      try {
        batch = more();
      } catch (...) { // NOLINT(bugprone-empty-catch): the source's end, as documented
      }
      exhausted = batch.empty();
    }
    return batch;
  };
  auto deliver = [&](std::size_t index, Result<Response> result) {
    ++delivered;
    try {
      on_result(index, std::move(result));
    } catch (...) { // NOLINT(bugprone-empty-catch): one failing callback must not lose the rest
    }
  };
  try {
    if (!lanes_ || lanes_->on_an_io_thread()) {
      for (auto batch = next_batch(); !batch.empty(); batch = next_batch()) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          deliver(supplied++,
                  lanes_ ? refused_on_io_thread()
                         : Error{ErrorKind::internal, "send_all() on a moved-from HTTP client",
                                 Delivery::not_sent, 0});
        }
      }
      return;
    }
    Impl &impl = lanes_->take();
    struct Leave {
      Impl &impl;
      ~Leave() {
        impl.bulk_finished();
        impl.leave();
      }
    } leave{impl};
    impl.bulk_started();
    auto bulk = std::make_shared<Bulk>();
    const std::size_t most = std::max<std::size_t>(concurrency, 1);
    // Supplied requests wait in `waiting`; workers (at most `most`) take them one at a time
    // and end when none waits, so a batch starts the workers it has room for.
    auto supply = [&] {
      std::vector<Request> batch = next_batch();
      std::size_t start = 0;
      {
        const std::lock_guard lock(bulk->mutex);
        supplied += batch.size();
        std::move(batch.begin(), batch.end(), std::back_inserter(bulk->waiting));
        start = std::min(most - bulk->workers, bulk->waiting.size());
        bulk->workers += start;
      }
      for (std::size_t w = 0; w < start; ++w) {
        try {
          net::co_spawn(impl.io, impl.bulk_worker(bulk), [](const std::exception_ptr &) {});
        } catch (...) {
          const std::lock_guard lock(bulk->mutex);
          bulk->workers -= start - w; // never started
          throw;
        }
      }
    };
    const auto waiting = [&] {
      const std::lock_guard lock(bulk->mutex);
      return bulk->waiting.size();
    };
    for (;;) {
      while (!exhausted && waiting() < bulk_waiting_per_worker * most)
        supply();
      if (exhausted && delivered == supplied)
        break;
      std::deque<std::pair<std::size_t, Result<Response>>> batch;
      {
        std::unique_lock lock(bulk->mutex);
        const auto has_ready = [&] { return !bulk->ready.empty(); };
        if (on_idle && delivered > 0 &&
            !bulk->ready_signal.wait_for(lock, bulk_idle_after, has_ready)) {
          lock.unlock();
          try {
            on_idle();
          } catch (...) { // NOLINT(bugprone-empty-catch): like a failing on_result
          }
          lock.lock();
        }
        bulk->ready_signal.wait(lock, has_ready);
        batch.swap(bulk->ready);
      }
      for (auto &[index, result] : batch) {
        deliver(index, std::move(result));
      }
    }
  } catch (...) { // NOLINT(bugprone-empty-catch): allocation failure; nothing left to report to
  }
}

std::vector<Result<Response>> Client::send_all(std::vector<Request> requests,
                                               std::size_t concurrency) noexcept {
  std::vector<Result<Response>> results;
  try {
    results.assign(requests.size(),
                   Error{ErrorKind::internal, "no result", Delivery::maybe_sent, 0});
    send_all(std::move(requests), concurrency, [&](std::size_t index, Result<Response> result) {
      results[index] = std::move(result);
    });
  } catch (...) { // NOLINT(bugprone-empty-catch): allocation failure; results stay as they are
  }
  return results;
}

ClientStats Client::stats() const noexcept {
  ClientStats sum;
  for (std::size_t i = 0, n = lanes_ ? lanes_->size() : 0; i < n; ++i) {
    const Impl &lane = lanes_->at(i);
    sum.connections_opened += lane.connections_opened.load(std::memory_order_relaxed);
    sum.connections_reused += lane.connections_reused.load(std::memory_order_relaxed);
    sum.attempts += lane.attempts.load(std::memory_order_relaxed);
    sum.retries += lane.retries.load(std::memory_order_relaxed);
  }
  return sum;
}

} // namespace threads::http
