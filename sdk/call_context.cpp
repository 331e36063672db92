#include <algorithm>

#include "stockade/sdk.h"

namespace stockade::sdk {

CallContext::CallContext(std::uint64_t id, std::string method, std::uint32_t attempt,
                         Clock::time_point deadline)
    : id_(id), method_(std::move(method)), attempt_(attempt), deadline_(deadline) {}

CallContext::Clock::duration CallContext::remaining() const {
  if (!has_deadline()) return Clock::duration::max();
  const auto now = Clock::now();
  return now >= deadline_ ? Clock::duration::zero() : deadline_ - now;
}

bool CallContext::cancelled() const {
  if (cancelled_.load(std::memory_order_acquire)) return true;
  return has_deadline() && Clock::now() >= deadline_;
}

bool CallContext::sleep_for(Clock::duration duration) {
  // Waking at the deadline too means a sleeper notices it without polling.
  // A year stands for "forever" and keeps now + duration from overflowing.
  duration = std::min<Clock::duration>(duration, std::chrono::hours(24 * 365));
  const auto now = Clock::now();
  const auto until = duration >= deadline_ - now ? deadline_ : now + duration;
  const bool whole = until != deadline_ || !has_deadline();
  std::unique_lock lock(mu_);
  const bool woken = wake_.wait_until(lock, until, [this] {
    return cancelled_.load(std::memory_order_acquire);
  });
  return !woken && whole;
}

void CallContext::cancel() {
  {
    // Taking the lock orders the store against a sleeper's predicate check,
    // so a cancel between its check and its wait is not lost.
    std::lock_guard lock(mu_);
    cancelled_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
}

}  // namespace stockade::sdk
