// The client's watchdog: registrations, step deadlines and the one timer.
#include "http/watchdog.hpp"

#include <algorithm>

namespace threads::http {

namespace {
constexpr Clock::time_point never = Clock::time_point::max();
} // namespace

Watchdog::Watchdog(const Executor &executor, std::chrono::milliseconds poll_interval) noexcept
    : timer_(executor), poll_interval_(poll_interval) {}

Watchdog::Registration::Registration(Watchdog &watchdog, RequestControl &control,
                                     const std::function<bool()> &cancel_check)
    : control_(control) {
  RequestControl::Watched &w = control.watched;
  if (cancel_check) {
    // First, as it may throw: a registration that failed must not stay in the list.
    const Clock::time_point first_poll = Clock::now() + watchdog.poll_interval_;
    watchdog.fire_by(first_poll);
    w.cancel_check = &cancel_check;
    w.next_poll = first_poll;
  }
  w.by = &watchdog;
  w.next = watchdog.head_;
  if (watchdog.head_ != nullptr) {
    watchdog.head_->watched.prev = &control;
  }
  watchdog.head_ = &control;
}

Watchdog::Registration::~Registration() {
  // The timer stays set: the next request will most likely want it about then anyway.
  RequestControl::Watched &w = control_.watched;
  Watchdog &watchdog = *w.by;
  if (w.prev != nullptr) {
    w.prev->watched.next = w.next;
  } else {
    watchdog.head_ = w.next;
  }
  if (w.next != nullptr) {
    w.next->watched.prev = w.prev;
  }
  w = RequestControl::Watched{};
  if (watchdog.shutting_down_ && watchdog.head_ == nullptr) {
    watchdog.disarm();
  }
}

Watchdog::Step::Step(RequestControl &control, Clock::time_point deadline) : control_(control) {
  control.watched.by->fire_by(deadline); // first, as it may throw
  control.timed_out = false;
  control.watched.deadline = deadline;
}

Watchdog::Step::~Step() { control_.watched.deadline = never; }

void Watchdog::shut_down() noexcept {
  shutting_down_ = true;
  for (RequestControl *c = head_; c != nullptr; c = c->watched.next) {
    c->interrupt();
  }
  if (head_ == nullptr) {
    disarm();
  }
}

void Watchdog::disarm() noexcept {
  try {
    timer_.cancel();
  } catch (...) { // NOLINT(bugprone-empty-catch): cancel fails only on a broken reactor
  }
  armed_ = false;
}

void Watchdog::fire_by(Clock::time_point when) {
  if ((armed_ && timer_.expiry() <= when) || (shutting_down_ && head_ == nullptr)) {
    return;
  }
  // Moving the timer cancels the wait in progress; its handler then finds a newer
  // generation and leaves the timer to this one.
  timer_.expires_at(when);
  const std::uint64_t generation = ++generation_;
  armed_ = true;
  timer_.async_wait([this, generation](const boost::system::error_code &ec) {
    if (ec || generation != generation_) {
      return;
    }
    armed_ = false;
    fire();
  });
}

void Watchdog::fire() noexcept {
  const Clock::time_point now = Clock::now();
  Clock::time_point next = never;
  // Interrupting only closes a socket or cancels a timer: no request leaves the list here.
  for (RequestControl *c = head_; c != nullptr; c = c->watched.next) {
    RequestControl::Watched &w = c->watched;
    if (w.deadline <= now) {
      w.deadline = never;
      c->time_out();
    }
    if (w.next_poll <= now) {
      bool cancelled = false;
      try {
        cancelled = (*w.cancel_check)();
      } catch (...) { // NOLINT(bugprone-empty-catch): a throwing check counts as "not cancelled"
      }
      w.next_poll = cancelled ? never : now + poll_interval_;
      if (cancelled) {
        c->interrupt();
      }
    }
    next = std::min({next, w.deadline, w.next_poll});
  }
  if (next != never) {
    try {
      fire_by(next);
    } catch (...) { // NOLINT(bugprone-empty-catch): out of memory: unwatched until the next
                    // registration or step sets the timer again
    }
  }
}

} // namespace threads::http
