// Per-request state shared by the steps of one call: interruption and attempt failures.
#pragma once

#include "http/error.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <utility>

namespace threads::http {

using Clock = std::chrono::steady_clock;

class Watchdog;

// Lets the client's watchdog (watchdog.hpp) and its shutdown interrupt whichever step a
// request is in. Lives in the request's coroutine frame; touched only on the io thread.
struct RequestControl {
  bool cancelled = false;
  // The running step's deadline passed: the watchdog interrupted it (see Watchdog::Step).
  bool timed_out = false;
  // Interrupts the step in progress (closes its socket, cancels its timer); empty between
  // steps. Set through AbortHook so it never outlives what it points at.
  std::function<void()> abort;

  // The watchdog's own bookkeeping of this request, touched by the watchdog alone.
  struct Watched {
    Watchdog *by = nullptr;
    const std::function<bool()> *cancel_check = nullptr; // polled while set
    Clock::time_point next_poll = Clock::time_point::max();
    Clock::time_point deadline = Clock::time_point::max(); // the running step's
    RequestControl *prev = nullptr;
    RequestControl *next = nullptr;
  } watched;

  // Cancelled by the caller's check or the client's shutdown.
  void interrupt() {
    cancelled = true;
    abort_step();
  }
  // The running step's deadline passed.
  void time_out() {
    timed_out = true;
    abort_step();
  }

private:
  void abort_step() {
    if (abort) {
      abort();
    }
  }
};

// Installs `RequestControl::abort` for the lifetime of one step.
class AbortHook {
public:
  AbortHook(RequestControl &control, std::function<void()> abort) : control_(control) {
    control_.abort = std::move(abort);
  }
  AbortHook(const AbortHook &) = delete;
  AbortHook &operator=(const AbortHook &) = delete;
  ~AbortHook() { control_.abort = nullptr; }

private:
  RequestControl &control_;
};

// How one attempt failed, with what the retry loop needs beyond the caller's Error.
struct Failure {
  Error error;
  // Another attempt could succeed (transient network trouble, a timeout with time left).
  bool retryable = false;
  // A reused keep-alive connection failed before any response byte: the server most likely
  // closed it while idle, so a fresh connection is worth one immediate try.
  bool stale_connection = false;
};

template <class T> using Outcome = boost::system::result<T, Failure>;

// Whether a failure is worth another attempt.
enum class Transience { permanent, transient };

inline Failure make_failure(ErrorKind kind, std::string message, Delivery delivery,
                            Transience transience) {
  return Failure{Error{kind, std::move(message), delivery, 0}, transience == Transience::transient,
                 false};
}

[[noreturn]] inline void throw_exception_from_error(const Failure &failure,
                                                    const boost::source_location &loc) {
  throw_exception_from_error(failure.error, loc);
}

} // namespace threads::http
