#include "supervisor/restart_budget.h"

#include <algorithm>

namespace stockade::supervisor {

RestartBudget::RestartBudget(uint32_t max_restarts, std::chrono::milliseconds window,
                             std::chrono::milliseconds first_backoff)
    : max_restarts_(max_restarts), window_(window), first_backoff_(first_backoff) {}

void RestartBudget::forget_before(Clock::time_point now) {
  while (!restarts_.empty() && now - restarts_.front() >= window_) restarts_.pop_front();
}

uint32_t RestartBudget::recent(Clock::time_point now) {
  forget_before(now);
  return static_cast<uint32_t>(restarts_.size());
}

bool RestartBudget::allows(Clock::time_point now) { return recent(now) < max_restarts_; }

std::chrono::milliseconds RestartBudget::record(Clock::time_point now) {
  forget_before(now);
  auto delay = first_backoff_;
  for (size_t i = 0; i < restarts_.size() && delay < window_; ++i) delay *= 2;
  restarts_.push_back(now);
  while (restarts_.size() > max_restarts_ + 1) restarts_.pop_front();
  return std::min(delay, window_);
}

}  // namespace stockade::supervisor
