#include "supervisor/call_waiter.h"

#include <chrono>

#include "supervisor/spin_slot.h"

namespace stockade::supervisor {

namespace {

using Clock = std::chrono::steady_clock;

// Longer than a small call's round trip on every host we measured (3-100
// us), short against anything slow: a call that takes 10 ms burns 1% of a
// CPU spinning.
constexpr auto kSpin = std::chrono::microseconds(100);

// Spins until `ready` is set or kSpin has passed, if a SpinSlot is free
// (none is taken when the caller does not spin: another Supervisor may).
void spin_until(const std::atomic<std::uint32_t>& ready) {
  SpinSlot slot;
  if (!slot) return;
  const auto until = Clock::now() + kSpin;
  // The clock is read once every 64 looks: a look is a few nanoseconds.
  for (unsigned i = 1; ready.load(std::memory_order_acquire) == 0; ++i) {
    cpu_relax();
    if (i % 64 == 0 && Clock::now() >= until) return;
  }
}

}  // namespace

std::function<void(CallResult<Bytes>)> CallWaiter::completion() const {
  return [state = state_](CallResult<Bytes> result) {
    state->result.emplace(std::move(result));
    state->ready.store(1, std::memory_order_release);
    state->ready.notify_one();
  };
}

CallResult<Bytes> CallWaiter::wait() {
  auto& ready = state_->ready;
  if (spin_) spin_until(ready);
  while (ready.load(std::memory_order_acquire) == 0) ready.wait(0, std::memory_order_acquire);
  return std::move(*state_->result);
}

}  // namespace stockade::supervisor
