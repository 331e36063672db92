#include "supervisor/call_waiter.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

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

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  // Returns at a wake-up, at once if the word moved on (EAGAIN), or early
  // (EINTR, a spurious wake-up): the caller looks at the word again either
  // way. The address is a live atomic, so no other error can come.
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr,
            nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
}

}  // namespace

std::function<void(CallResult<Bytes>)> CallWaiter::completion() const {
  return [state = state_](CallResult<Bytes> result) {
    state->result.emplace(std::move(result));
    // A futex wake only for a caller that said it sleeps: a spinning one
    // sees the store.
    if (state->ready.exchange(kReady, std::memory_order_acq_rel) == kSleeping) {
      futex_wake(state->ready);
    }
  };
}

CallResult<Bytes> CallWaiter::wait() {
  auto& ready = state_->ready;
  if (spin_) spin_until(ready);
  // Not std::atomic::wait: libstdc++'s yields (sched_yield) a dozen times
  // before it sleeps, a syscall each that does nothing useful here (on one
  // CPU it measured 3.7 a call). The caller says it sleeps, then sleeps.
  std::uint32_t seen = kNotReady;
  if (ready.compare_exchange_strong(seen, kSleeping, std::memory_order_acq_rel)) seen = kSleeping;
  while (seen != kReady) {
    futex_wait(ready, kSleeping);
    seen = ready.load(std::memory_order_acquire);
  }
  return std::move(*state_->result);
}

}  // namespace stockade::supervisor
