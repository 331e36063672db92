// The restart budget (Mattermost's supervisor habit): at most max_restarts
// restarts within a sliding window; one more means a crash loop and the plugin
// is parked as failed. The delay before each restart doubles from backoff_ms,
// capped at the window. Pure: time is passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace stockade::supervisor {

class RestartBudget {
 public:
  using Clock = std::chrono::steady_clock;

  RestartBudget(uint32_t max_restarts, std::chrono::milliseconds window,
                std::chrono::milliseconds first_backoff);

  // May the plugin be restarted now? False = crash loop.
  bool allows(Clock::time_point now);
  // Records a restart at `now` and returns the delay to wait before it.
  std::chrono::milliseconds record(Clock::time_point now);
  // Restarts inside the window ending at `now`.
  uint32_t recent(Clock::time_point now);

  uint32_t max_restarts() const { return max_restarts_; }
  std::chrono::milliseconds window() const { return window_; }

 private:
  void forget_before(Clock::time_point now);

  uint32_t max_restarts_;
  std::chrono::milliseconds window_;
  std::chrono::milliseconds first_backoff_;
  std::deque<Clock::time_point> restarts_;  // at most max_restarts_ + 1 entries
};

}  // namespace stockade::supervisor
