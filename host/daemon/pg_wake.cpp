// LISTEN on the store's database with reconnects.
#include "daemon/pg_wake.hpp"

#include "daemon/run_worker.hpp"
#include "store/pg/libpq.hpp"
#include "store/pg/pg_url.hpp"

#include <algorithm>
#include <utility>

namespace autohost::daemon {
namespace json = boost::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

PgWake::PgWake(PgWakeOptions options, host::Logger &logger)
    : options_(std::move(options)), logger_(logger),
      backoff_(options_.first_retry, options_.max_retry) {
  connect();
}

int PgWake::fd() const noexcept {
  return connection_ != nullptr ? store::pg::libpq().socket(connection_->handle()) : -1;
}

std::string PgWake::problem() const { return problem_; }

std::optional<milliseconds> PgWake::due_in() const {
  if (pending_)
    return milliseconds(0);
  if (connection_ != nullptr)
    return std::nullopt;
  // Rounded up: a caller that sleeps this long must find the retry due, not spin on zeros.
  return std::max(milliseconds(0), std::chrono::ceil<milliseconds>(retry_at_ - SteadyClock::now()));
}

bool PgWake::connect() {
  store::pg::ConnectOptions connect;
  connect.url = options_.url;
  connect.connect_timeout_s = options_.connect_timeout_s;
  connect.statement_timeout_ms = 10'000;
  auto opened = store::pg::Connection::open(connect);
  std::string why;
  if (opened) {
    auto listened = opened.value()->listen(options_.channel);
    if (listened) {
      connection_ = std::move(opened).value();
      backoff_.reset();
      problem_.clear();
      if (said_lost_) {
        daemon_log(logger_, AH_LOG_INFO, "store notifications are back",
                   {{"store", connection_->redacted_url()}});
      }
      said_lost_ = false;
      return true;
    }
    why = listened.error().message;
  } else {
    why = opened.error().message;
  }
  lost(why);
  return false;
}

void PgWake::lost(const std::string &why) {
  connection_.reset();
  store_ms_.reset(); // read anew once back: the server may have changed
  const milliseconds wait = backoff_.next();
  retry_at_ = SteadyClock::now() + wait;
  problem_ = "not listening for store changes: " + why;
  if (!said_lost_) {
    // Once per outage: the retries that follow would only repeat it.
    daemon_log(logger_, AH_LOG_WARN, "store notifications lost; reconnecting",
               {{"store", store::pg::redact(options_.url)}, {"error", why}});
    said_lost_ = true;
  }
}

std::optional<milliseconds> PgWake::store_clock_offset(std::int64_t host_now_ms) {
  if (connection_ == nullptr)
    return std::nullopt;
  const auto before = SteadyClock::now();
  if (store_ms_ && before - store_read_at_ < options_.clock_every) {
    const auto since = std::chrono::duration_cast<milliseconds>(before - store_read_at_);
    return milliseconds(*store_ms_ + since.count() - host_now_ms);
  }
  auto rows = connection_->execute("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::int8");
  const auto round_trip = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - before);
  if (!rows) {
    lost(rows.error().message);
    pending_ = true; // a change may have been missed just before the loss
    return std::nullopt;
  }
  // libpq took in whatever arrived with the answer, so the descriptor will not show it.
  for (auto next = connection_->wait_for_notification(milliseconds(0)); next && next.value();
       next = connection_->wait_for_notification(milliseconds(0))) {
    pending_ = true;
  }
  auto store_ms = rows.value().int64(0, 0);
  if (!store_ms)
    return std::nullopt;
  // The database read its clock about halfway through the round trip.
  store_ms_ = store_ms.value() + (round_trip / 2).count();
  store_read_at_ = before + round_trip;
  return milliseconds(*store_ms_ - host_now_ms) - round_trip;
}

bool PgWake::drain() {
  const bool was_pending = std::exchange(pending_, false);
  if (connection_ == nullptr) {
    if (SteadyClock::now() < retry_at_)
      return was_pending;
    // Back: whatever was notified while away is lost, so the store is looked at anew.
    const bool back = connect();
    return back || was_pending;
  }
  bool woken = false;
  while (true) {
    auto next = connection_->wait_for_notification(milliseconds(0));
    if (!next) {
      lost(next.error().message);
      return true; // a change may have been missed just before the loss
    }
    if (!next.value())
      return woken || was_pending;
    woken = true;
  }
}

} // namespace autohost::daemon
