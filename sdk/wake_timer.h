// WakeTimer: a timerfd that one thread sleeps on and others set without
// waking it.
//
// Why: the call monitor (call_executor.h) needs to look only once a call has
// run for a while (its first look). A condition variable's timed wait cannot be
// moved by another thread without waking the sleeper, and that wake-up (a
// context switch, often on the other CPU) costs more than a quick call.
// Setting a timerfd is one syscall and wakes no one unless it expires.
#pragma once

#include <chrono>

#include "base/unique_fd.h"
#include "stockade/result.h"

namespace stockade::sdk::detail {

class WakeTimer {
 public:
  static Result<WakeTimer> create();

  // Expires `after` (more than zero) from now, replacing any earlier
  // setting; expiries not waited for yet are forgotten.
  void arm(std::chrono::nanoseconds after);
  // Expires at once: the sleeper wakes now.
  void wake_now() { arm(std::chrono::nanoseconds(1)); }
  // Never expires, and expiries not waited for yet are forgotten.
  void disarm() { arm(std::chrono::nanoseconds(0)); }
  // Blocks until the timer expires (returns at once if it already has).
  void wait();

 private:
  explicit WakeTimer(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace stockade::sdk::detail
