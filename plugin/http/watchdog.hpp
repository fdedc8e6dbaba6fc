// One timer for all of a client's requests: it polls their cancellation checks and
// interrupts an exchange whose deadline passed.
#pragma once

#include "http/executor.hpp"
#include "http/request_control.hpp"

#include <chrono>
#include <cstdint>
#include <functional>

namespace threads::http {

// The timer is moved only when something falls due before it fires, and it is left set
// when the last request leaves: a stream of requests arms it about once per poll interval
// instead of once per request. A timer per request and per read or write cost a system call
// and several handler runs on every call. Used on the client's io thread only.
class Watchdog {
public:
  Watchdog(const Executor &executor, std::chrono::milliseconds poll_interval) noexcept;
  Watchdog(const Watchdog &) = delete;
  Watchdog &operator=(const Watchdog &) = delete;

  // A request, watched for as long as this lives. `cancel_check` (may be empty) is polled
  // every poll interval; when it returns true the request is interrupted as cancelled. It
  // must outlive the registration.
  class Registration {
  public:
    Registration(Watchdog &watchdog, RequestControl &control,
                 const std::function<bool()> &cancel_check);
    Registration(const Registration &) = delete;
    Registration &operator=(const Registration &) = delete;
    ~Registration();

  private:
    RequestControl &control_; // its `watched.by` is the watchdog
  };

  // A step of a registered request that must end by `deadline`: when it passes, the
  // request's `timed_out` is set and its step interrupted (its abort hook runs).
  class Step {
  public:
    Step(RequestControl &control, Clock::time_point deadline);
    Step(const Step &) = delete;
    Step &operator=(const Step &) = delete;
    ~Step();

  private:
    RequestControl &control_;
  };

  // The client is shutting down: interrupts every registered request as cancelled, and
  // lets the timer go once the last of them has left, so that the io_context can run out
  // of work (a timer left set would hold the shutdown until it fired).
  void shut_down() noexcept;

private:
  // Makes the timer fire no later than `when`.
  void fire_by(Clock::time_point when);
  void fire() noexcept;
  void disarm() noexcept;

  SteadyTimer timer_;
  std::chrono::milliseconds poll_interval_;
  RequestControl *head_ = nullptr;
  bool armed_ = false;
  bool shutting_down_ = false;
  // Tells the wait that is current from one the timer's move cancelled.
  std::uint64_t generation_ = 0;
};

} // namespace threads::http
