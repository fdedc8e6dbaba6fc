// When the refresh sweep stores the answers that have come: one durable commit (a batched
// write) for many answers, without keeping any answer long from its commit.
#pragma once

#include <chrono>
#include <cstddef>

namespace threads::jobs {

// Answers are stored when `most` are waiting, or when the first of them has waited `wait`.
// A fast server fills large commits, whose cost their rows share; against a slow one no
// answer waits longer than `wait` while others keep coming. (When none comes, the sweep
// stores what waits after http::bulk_idle_after.)
class CommitRule {
public:
  using Clock = std::chrono::steady_clock;

  CommitRule(std::size_t most, Clock::duration wait) : most_(most), wait_(wait) {}

  // An answer came at `now` and `waiting` answers (it included) wait to be stored: true when
  // they are to be stored now.
  bool store_now(std::size_t waiting, Clock::time_point now) {
    if (waiting <= 1) {
      first_ = now;
    }
    return waiting >= most_ || now - first_ >= wait_;
  }

private:
  std::size_t most_;
  Clock::duration wait_;
  Clock::time_point first_{};
};

} // namespace threads::jobs
