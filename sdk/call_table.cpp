#include "sdk/call_table.h"

namespace stockade::sdk::detail {

CallTable::AddResult CallTable::add(const std::shared_ptr<CallContext>& call) {
  std::lock_guard lock(mu_);
  if (calls_.size() >= max_calls_) return AddResult::full;
  return calls_.emplace(call->id(), call).second ? AddResult::added : AddResult::duplicate_id;
}

void CallTable::remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  calls_.erase(id);
  // Only a drain waits here; skipping the notify otherwise saves a futex
  // syscall on every call.
  if (calls_.empty() && waiters_ > 0) empty_.notify_all();
}

bool CallTable::cancel(std::uint64_t id) {
  std::shared_ptr<CallContext> call;
  {
    std::lock_guard lock(mu_);
    auto it = calls_.find(id);
    if (it == calls_.end()) return false;
    call = it->second;
  }
  call->cancel();
  return true;
}

void CallTable::cancel_all() {
  std::lock_guard lock(mu_);
  for (auto& [id, call] : calls_) call->cancel();
}

bool CallTable::wait_empty_until(Clock::time_point until) {
  std::unique_lock lock(mu_);
  ++waiters_;
  const bool empty = empty_.wait_until(lock, until, [this] { return calls_.empty(); });
  --waiters_;
  return empty;
}

std::size_t CallTable::size() const {
  std::lock_guard lock(mu_);
  return calls_.size();
}

}  // namespace stockade::sdk::detail
